"""How a run plays out: the run engine, run steps, the brain (rules and the model) and the
script it hands the engine.
"""
