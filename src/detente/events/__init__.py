"""CAMEO event data: read GDELT and ICEWS files, store them canonically, aggregate to dyad-periods."""
