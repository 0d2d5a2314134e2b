"""Thin API views: an input serializer checks the shape, one action does the work, an output
serializer renders the result."""
