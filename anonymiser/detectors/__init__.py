"""Detector components. Each module has one ``detect(state, lang)`` function that adds
candidate spans (or protections) to the document state; ``pipeline.py`` wraps each in a
spaCy component."""
