"""Opinion groups computed the way Pol.is computes them (polismath, conversation.clj).

The pipeline, in the order it runs (`pipeline.compute_opinion_groups`):

1. `matrix`: participants x statements votes (agree 1, disagree -1, pass 0, unseen absent),
   kept sparse; statements moderated out are zeroed for everyone, as Pol.is's rating matrix does.
2. `pca`: two principal components of the mean-imputed, centred matrix, computed on the sparse
   matrix itself (imputing the column mean then centring leaves unseen cells at exactly 0, so
   nothing is ever densified), then Pol.is's sparsity-aware projection of every participant,
   scaled by sqrt(statements / votes).
3. `clusters`: participants with at least min(7, statements) votes are clustered: k-means into
   up to 100 base clusters, then k-means on the base centres weighted by their sizes for
   k = 2..5, keeping the k with the best silhouette on the base centres.
4. `repness`: per group, the representative statements (Pol.is's repness and its selection),
   group-aware consensus, and the statements that people most often pass on.

Everything is deterministic: Pol.is's k-means starts from the first distinct points, and the
eigen-solver starts from a fixed vector, so the same votes always give the same groups.
"""
