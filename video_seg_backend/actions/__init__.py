"""Spatio-temporal action labelling (AVA-style): vocabulary, keyframes, labels, agreement, clips."""
