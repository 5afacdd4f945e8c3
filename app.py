"""The web chat and the HTTP API: `python app.py [--host H] [--port P]`, the same as `releasebot serve`."""

import sys

from releasebot.cli import app

if __name__ == "__main__":
    app(["serve", *sys.argv[1:]])
