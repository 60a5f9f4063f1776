"""Deciding: who receives a signal, and what of it each recipient may lawfully see.

routing     the recipients a signal names, checked against the registry
decision    Decision, Verdict, Outcome, DataClass: what the policy says, with rules and basis
policy      the sharing policy: its file format, loading, checking and the engine that decides
sharing     the policy in force: adopted at start, reloaded on SIGHUP, every version kept
review      whether a recipient's copy waits for a liaison officer, and why
"""
