"""State packs: one picked avatar redrawn in a set of expressions (a chat bot's states), with
a sprite sheet, a JSON manifest, blink/talk animations and transparent backgrounds.

`services` queues the pack as a normal priced job; `render_job` is what the worker runs for
it; the other modules are pure image code (no torch) the worker and the tests share.
"""
