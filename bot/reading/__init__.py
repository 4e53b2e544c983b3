"""Reading a message: normalisation, the learned triage models and what they are trained on."""
