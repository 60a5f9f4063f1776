"""Rendering: a recipient's view of a signal in the reader's language.

renderer    render(): the view as a structured document and as text, with provenance
labels      the labels of codes and of the decision's lists in each language
"""
