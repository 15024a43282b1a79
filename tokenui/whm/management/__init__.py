"""Management commands of the WHM package."""
