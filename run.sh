#!/usr/bin/env bash
# Set up (once) and start Onward. `./run.sh sandbox` tries it against the local emulator.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
if [ ! -f .env ] && [ "${1:-}" != "sandbox" ]; then
    cp .env.example .env
    echo "Created .env from .env.example; put your bot token in it as DISCORD_TOKEN=..."
fi
exec .venv/bin/python -m bot "$@"
