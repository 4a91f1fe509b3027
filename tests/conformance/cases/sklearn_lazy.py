"""Issue #12: scikit-learn imports pandas and matplotlib lazily, without declaring them."""
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import ConfusionMatrixDisplay

iris = load_iris(as_frame=True)  # imports pandas inside scikit-learn
model = LogisticRegression(max_iter=500).fit(iris.data, iris.target)
display = ConfusionMatrixDisplay.from_estimator(model, iris.data, iris.target)  # matplotlib
print(iris.frame.shape)
print(display.confusion_matrix.tolist())
