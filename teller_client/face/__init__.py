"""Customer face verification at the counter: camera, reference photo, 1:1 match, liveness (no widgets).

Face images and encodings stay in memory on this machine; only the outcome, the distance, the
liveness result and the quality-gate history leave this package.
"""
