"""What running a backbone needs, in training and in evaluation alike: the device, its precision and
compilation (`device`), the batch preparation into model input (`model_input`) and the model file
format (`modelfile`). Below `synface.train` and `synface.evaluate`, which both import it."""
