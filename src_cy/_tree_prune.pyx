# Minimal cost-complexity pruning: the weakest-link sequence of a grown tree,
# and the pruned tree for a given ccp_alpha. A port of sklearn/tree/_tree.pyx
# (_cost_complexity_prune, _build_pruned_tree; BSD-3) on plain node arrays.
from libc.float cimport DBL_MAX

import numpy as np

from fastml._cy._tree_common cimport TREE_LEAF, TREE_UNDEFINED, float64_t, intp_t


def cost_complexity_prune(const intp_t[::1] child_l, const intp_t[::1] child_r,
                          const float64_t[::1] weighted_n_node_samples,
                          const float64_t[::1] impurity, float64_t ccp_alpha):
    """Prune until the weakest link's alpha exceeds ccp_alpha.

    Returns (leaves_in_subtree uint8 mask, ccp_alphas, impurities): the mask of
    the pruned tree's leaves and the path (effective alphas and total leaf
    impurity after each pruning), as sklearn's _AlphaPruner / _PathFinder.
    """
    cdef intp_t n_nodes = child_l.shape[0], i, node_idx, leaf_idx, parent_idx
    cdef intp_t pruned = 0, n_pruned_leaves, top, count = 0
    cdef float64_t total = weighted_n_node_samples[0], current_r, alpha, eff, r_diff
    r_node_a = np.empty(n_nodes)
    parent_a = np.zeros(n_nodes, dtype=np.intp)
    n_leaves_a = np.zeros(n_nodes, dtype=np.intp)
    r_branch_a = np.zeros(n_nodes)
    leaves_a = np.zeros(n_nodes, dtype=np.uint8)
    cand_a = np.zeros(n_nodes, dtype=np.uint8)
    in_sub_a = np.ones(n_nodes, dtype=np.uint8)
    stack_a = np.empty(2 * n_nodes + 2, dtype=np.intp)
    alphas_a = np.zeros(n_nodes + 1)
    imps_a = np.zeros(n_nodes + 1)
    cdef float64_t[::1] r_node = r_node_a, r_branch = r_branch_a
    cdef float64_t[::1] alphas = alphas_a, imps = imps_a
    cdef intp_t[::1] parent = parent_a, n_leaves = n_leaves_a, stack = stack_a
    cdef unsigned char[::1] leaves = leaves_a, cand = cand_a, in_sub = in_sub_a
    with nogil:
        for i in range(n_nodes):
            r_node[i] = weighted_n_node_samples[i] * impurity[i] / total
        stack[0] = 0
        parent[0] = TREE_UNDEFINED
        top = 1
        while top > 0:
            top -= 1
            node_idx = stack[top]
            if child_l[node_idx] == TREE_LEAF:
                leaves[node_idx] = 1
            else:
                parent[child_l[node_idx]] = node_idx
                parent[child_r[node_idx]] = node_idx
                stack[top] = child_l[node_idx]
                stack[top + 1] = child_r[node_idx]
                top += 2
        for leaf_idx in range(n_nodes):
            if not leaves[leaf_idx]:
                continue
            r_branch[leaf_idx] = r_node[leaf_idx]
            current_r = r_node[leaf_idx]
            i = leaf_idx
            while i != 0:
                parent_idx = parent[i]
                r_branch[parent_idx] += current_r
                n_leaves[parent_idx] += 1
                i = parent_idx
        for i in range(n_nodes):
            cand[i] = not leaves[i]
        alphas[count] = 0.0
        imps[count] = r_branch[0]
        count += 1
        while cand[0]:
            eff = DBL_MAX
            for i in range(n_nodes):
                if not cand[i]:
                    continue
                alpha = (r_node[i] - r_branch[i]) / (n_leaves[i] - 1)
                if alpha < eff:
                    eff = alpha
                    pruned = i
            if ccp_alpha < eff:
                break
            stack[0] = pruned
            top = 1
            while top > 0:
                top -= 1
                node_idx = stack[top]
                if not in_sub[node_idx]:
                    continue
                cand[node_idx] = 0
                leaves[node_idx] = 0
                in_sub[node_idx] = 0
                if child_l[node_idx] != TREE_LEAF:
                    stack[top] = child_l[node_idx]
                    stack[top + 1] = child_r[node_idx]
                    top += 2
            leaves[pruned] = 1
            in_sub[pruned] = 1
            n_pruned_leaves = n_leaves[pruned] - 1
            n_leaves[pruned] = 0
            r_diff = r_node[pruned] - r_branch[pruned]
            r_branch[pruned] = r_node[pruned]
            node_idx = parent[pruned]
            while node_idx != TREE_UNDEFINED:
                n_leaves[node_idx] -= n_pruned_leaves
                r_branch[node_idx] += r_diff
                node_idx = parent[node_idx]
            alphas[count] = eff
            imps[count] = r_branch[0]
            count += 1
    return leaves_a, alphas_a[:count].copy(), imps_a[:count].copy()


def pruned_order(const intp_t[::1] child_l, const intp_t[::1] child_r,
                 const unsigned char[::1] leaves_in_subtree):
    """Old node ids in the pruned tree's depth-first order, with new parents.

    Returns (old_ids, new_left, new_right, max_depth) as sklearn's
    _build_pruned_tree numbers them (left subtree first).
    """
    cdef intp_t n_nodes = child_l.shape[0], top, old, new = 0, depth, parent, max_depth = -1
    cdef bint is_left
    stack_a = np.empty((2 * n_nodes + 2, 4), dtype=np.intp)
    old_a = np.empty(n_nodes, dtype=np.intp)
    left_a = np.full(n_nodes, TREE_LEAF, dtype=np.intp)
    right_a = np.full(n_nodes, TREE_LEAF, dtype=np.intp)
    cdef intp_t[:, ::1] stack = stack_a
    cdef intp_t[::1] old_ids = old_a, new_l = left_a, new_r = right_a
    with nogil:
        stack[0, 0] = 0
        stack[0, 1] = 0
        stack[0, 2] = TREE_UNDEFINED
        stack[0, 3] = 0
        top = 1
        while top > 0:
            top -= 1
            old = stack[top, 0]
            depth = stack[top, 1]
            parent = stack[top, 2]
            is_left = stack[top, 3]
            old_ids[new] = old
            if parent != TREE_UNDEFINED:
                if is_left:
                    new_l[parent] = new
                else:
                    new_r[parent] = new
            if not leaves_in_subtree[old]:
                stack[top, 0] = child_r[old]
                stack[top, 1] = depth + 1
                stack[top, 2] = new
                stack[top, 3] = 0
                stack[top + 1, 0] = child_l[old]
                stack[top + 1, 1] = depth + 1
                stack[top + 1, 2] = new
                stack[top + 1, 3] = 1
                top += 2
            if depth > max_depth:
                max_depth = depth
            new += 1
    return old_a[:new].copy(), left_a[:new].copy(), right_a[:new].copy(), max_depth
