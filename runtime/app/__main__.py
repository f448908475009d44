"""python -m runtime.app = sharpcam app."""
from runtime.app.cli import main

main()
