"""The audit log as a transparency log, on top of the store and the pure core of
:mod:`gateway.infra.audit` (the Merkle tree, tiles, signed notes, checkpoints, witnesses):

- :mod:`~gateway.transparency.sequencer`: the one sequencer, which integrates new entries
  into the tree in batches and publishes signed checkpoints; who it is, among several
  instances, is a :mod:`~gateway.transparency.leadership`;
- :mod:`~gateway.transparency.log`: what the gateway answers about the tree (checkpoints with
  their cosignatures, proofs) and what it accepts from witnesses (cosignatures, reports);
  :mod:`~gateway.transparency.scope` decides which entries a partner may prove;
- :mod:`~gateway.transparency.verify`: checking the log against checkpoints kept earlier,
  and a receipt's entry against a signed checkpoint;
- :mod:`~gateway.transparency.witnessing`: a partner's witness, run on the partner's side.
"""
