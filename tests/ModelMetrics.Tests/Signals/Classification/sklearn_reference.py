"""Reference quality metrics from scikit-learn for ScikitLearnReferenceTests.

Usage: /usr/bin/python3 sklearn_reference.py in.json

in.json is {"kind": "classification" | "probabilities" | "regression", ...} with the data the test recorded
into a ModelMonitor; the script prints one JSON object of scikit-learn's numbers on stdout. Exit code 3 means
scikit-learn (or numpy) is not installed: the test is then ignored with an install hint, never passed.
"""

import json
import math
import sys

try:
    import numpy as np
    import sklearn
    from sklearn import metrics
except ModuleNotFoundError as missing:
    if missing.name and missing.name.split(".")[0] in ("sklearn", "numpy", "scipy"):
        print(f"scikit-learn not importable: {missing}", file=sys.stderr)
        sys.exit(3)
    raise


def classification(data):
    """Label metrics of (y_true, y_pred) over classes 0..K-1, for zero_division 0 and 1."""
    k = data["classes"]
    y_true = np.asarray(data["y_true"], dtype=np.int64)
    y_pred = np.asarray(data["y_pred"], dtype=np.int64)
    labels = list(range(k))
    out = {
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
        "mcc": metrics.matthews_corrcoef(y_true, y_pred),
        # Rows are the true class, columns the predicted one (our GetCount(actual, predicted)).
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    for zero_division in (0, 1):
        # Per class over labels=range(K); the averages with sklearn's default label set (classes that occur in
        # y_true or y_pred), as the README documents for ours.
        p, r, f, s = metrics.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=None, zero_division=zero_division)
        entry = {
            "precision": p.tolist(),
            "recall": r.tolist(),
            "f1": f.tolist(),
            "support": s.tolist(),
        }
        for average in ("macro", "weighted"):
            ap, ar, af, _ = metrics.precision_recall_fscore_support(
                y_true, y_pred, average=average, zero_division=zero_division)
            entry[average] = {"precision": ap, "recall": ar, "f1": af}
        if k == 2:
            entry["binary"] = {
                "precision": metrics.precision_score(y_true, y_pred, pos_label=1, zero_division=zero_division),
                "recall": metrics.recall_score(y_true, y_pred, pos_label=1, zero_division=zero_division),
                "f1": metrics.f1_score(y_true, y_pred, pos_label=1, zero_division=zero_division),
                # Specificity: the recall of the negative class.
                "specificity": metrics.recall_score(y_true, y_pred, pos_label=0, zero_division=zero_division),
            }
        out[f"zero_division_{zero_division}"] = entry
    return out


def top_k_first_index(y_true, proba, k):
    """Top-k accuracy with ties broken towards the lower class index.

    The true class a is within the top k when fewer than k classes rank before it, where class j ranks before
    a if p_j > p_a, or p_j == p_a and j < a: then top-1 is exactly accuracy against argmax (first maximum).
    """
    p_true = proba[np.arange(len(y_true)), y_true][:, None]
    index = np.arange(proba.shape[1])[None, :]
    before = (proba > p_true) | ((proba == p_true) & (index < y_true[:, None]))
    return float(np.mean(before.sum(axis=1) < k))


def probabilities(data):
    """Accuracy, top-k accuracy and log-loss of float32 probabilities, evaluated on their float64 values."""
    k = data["classes"]
    y_true = np.asarray(data["y_true"], dtype=np.int64)
    # The test sends each float32 probability as the double of the same value; float64 arrays make sklearn's
    # log_loss clip at float64's epsilon (its eps="auto" is np.finfo(y_pred.dtype).eps).
    proba = np.asarray(data["probabilities"], dtype=np.float64)
    assert proba.shape == (len(y_true), k)
    assert np.array_equal(proba, proba.astype(np.float32).astype(np.float64)), "not float32 values"
    labels = list(range(k))
    eps = float(np.finfo(proba.dtype).eps)
    p_true = proba[np.arange(len(y_true)), y_true]
    out = {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        # np.argmax returns the first maximum, as ModelMonitor's predicted class.
        "accuracy": metrics.accuracy_score(y_true, np.argmax(proba, axis=1)),
        "log_loss": metrics.log_loss(y_true, proba, labels=labels),
        "log_loss_eps": eps,
        # For the report: the same mean without sklearn's renormalization of clipped rows, and with a 1e-15 clip.
        "log_loss_clip_eps_no_renormalization": float(np.mean(-np.log(np.clip(p_true, eps, 1 - eps)))),
        "log_loss_clip_1e-15": float(np.mean(-np.log(np.clip(p_true, 1e-15, 1)))),
        "true_class_zero_rows": int(np.sum(p_true == 0)),
        "tied_maximum_rows": int(np.sum((proba == proba.max(axis=1, keepdims=True)).sum(axis=1) > 1)),
        "top_k": {},
    }
    # sklearn's top_k_accuracy_score sorts with a stable ascending argsort and reverses it, so among equal
    # probabilities the HIGHER class index ranks first. Run on the columns in reverse order (class j becomes
    # K-1-j) it breaks ties towards the lower original index: exactly the first-index rule above. Both the
    # rule computed directly and sklearn on reversed columns are reported (they must agree), and sklearn on
    # the original order as well, for information.
    reversed_true = (k - 1) - y_true
    reversed_proba = proba[:, ::-1]
    for top in data["k"]:
        out["top_k"][str(top)] = {
            "first_index_rule": top_k_first_index(y_true, proba, top),
            "sklearn_reversed_columns": metrics.top_k_accuracy_score(
                reversed_true, reversed_proba, k=top, labels=labels),
            "sklearn_as_is": metrics.top_k_accuracy_score(y_true, proba, k=top, labels=labels),
        }
    return out


def regression(data):
    """MAE, MSE, RMSE, R², mean error, and MAPE over the nonzero actuals only."""
    y_true = np.asarray(data["y_true"], dtype=np.float64)
    y_pred = np.asarray(data["y_pred"], dtype=np.float64)
    nonzero = y_true != 0
    mse = metrics.mean_squared_error(y_true, y_pred)
    return {
        "count": int(len(y_true)),
        "zero_actuals": int(np.sum(~nonzero)),
        "mae": metrics.mean_absolute_error(y_true, y_pred),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "r2": metrics.r2_score(y_true, y_pred),
        "mean_error": float(np.mean(y_pred - y_true)),
        # sklearn's mean_absolute_percentage_error divides by max(|y|, eps) and so reports ~1e15 with a zero
        # actual; ModelMonitor leaves zero actuals out, so the reference is sklearn's on the nonzero rows.
        "mape_nonzero": metrics.mean_absolute_percentage_error(y_true[nonzero], y_pred[nonzero]),
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as stream:
        data = json.load(stream)
    kinds = {"classification": classification, "probabilities": probabilities, "regression": regression}
    result = kinds[data["kind"]](data)
    result.setdefault("sklearn_version", sklearn.__version__)
    json.dump(result, sys.stdout, allow_nan=False, default=float)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
