"""The inventory in pictures: what the charts count (figures) and how they are drawn (drawing)."""
