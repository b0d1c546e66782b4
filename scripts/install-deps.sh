#!/usr/bin/env bash
# Installs the Debian packages rmlx builds against (Debian 12 or newer).
# With --test, also the Python reference packages the test suite compares with.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git xz-utils unzip curl
  libboost-dev libboost-program-options-dev libboost-filesystem-dev
  libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libcpp-httplib-dev libpcre2-dev
  libgtest-dev python3 python3-pip tmux
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "rmlx: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
  # The references the tests compare against (never used at run time).
  python3 -m pip install -q --disable-pip-version-check \
    'mlx[cpu]' mlx-lm tokenizers transformers jinja2 openai anthropic gguf jsonschema numpy \
    2>&1 | grep -v -E "WARNING: Running pip as the 'root' user|^$" || true
fi
