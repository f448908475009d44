"""sharpcam runtime: camera -> sharpening model -> virtual camera. Never imports torch."""
