"""RGPD and EU AI Act controls: data-subject rights, retention, human oversight, register."""
