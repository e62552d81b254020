"""FHIR R4 for trdclinic: a patient's record as a Bundle, and medication records read back."""
