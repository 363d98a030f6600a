"""The seal: RFC 3161 timestamps (intake batches, chronology.json) and signatures.

One job per module: ``tsa`` asks a time-stamping authority, ``token`` checks
what it answered, ``batches`` stamps intake batches, ``chronology`` stamps and
signs chronology.json, ``signing`` signs (PKCS#12, PKCS#11), ``verify`` checks
a case's seals. Nothing here runs unless the case's config has ``[seal]``.
See docs/seal.md.
"""
