"""HTTP edge (the only home of ``litestar``)."""
