"""The records pages: thin views that authorise through records/access.py, validate a form,
call one service and redirect (POST/redirect/GET)."""
