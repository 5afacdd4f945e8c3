"""The web chat and the HTTP API: `python app.py` (same as `releasebot serve`)."""

from releasebot.config import get_settings
from releasebot.server import serve

if __name__ == "__main__":
    serve(get_settings())
