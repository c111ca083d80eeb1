"""Face alignment of raw photos as the paper did: MTCNN's five landmarks, a similarity warp onto a template."""
