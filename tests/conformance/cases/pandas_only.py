"""Issue #12: pandas installed, pyarrow not; the job imports only pandas."""
import pandas as pd

frame = pd.DataFrame({"a": [1, 2, 3], "b": [4.0, 5.5, 6.25]})
print(frame.describe().to_csv())
