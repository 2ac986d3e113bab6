"""Where tracking went wrong: per-mask confidence from the engine and the track itself (cues,
combination) and the frames a person should look at first (queue)."""
