"""Connected servers: WHM servers TokenUI reaches with an API token it made for itself, stored
sealed, rotated before it expires, revoked on disconnect."""
