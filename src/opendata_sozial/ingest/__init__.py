"""Reading, checking and scaffolding data packages (the only home of ``frictionless``)."""
