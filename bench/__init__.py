"""The trdclinic benchmark (issue 9): figures, never timed unit tests. Run: python -m bench."""
