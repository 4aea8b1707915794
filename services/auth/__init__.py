"""Registration, login (OAuth2 password flow), refresh-token rotation and logout."""
