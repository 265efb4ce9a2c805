"""Evidence packages: originals copied with fixity into a BagIt bag and a disc image (M6, M7)."""
