"""JUNO's PMT geometry and the fast detector simulation: tracks, light, PMT response, trigger and validation."""
