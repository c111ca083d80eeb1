"""Layout of λ, the 286-dim control vector of the face generator (DiscoFaceGAN's order).

λ = [identity 160 (shape 80, texture 80), expression 64, pose 3 (yaw, pitch, roll; radians),
     illumination 27 (second-order SH, (9, 3) band-major: index 3*b + c), noise 32].
"""

from __future__ import annotations

ID_SHAPE = slice(0, 80)
ID_TEX = slice(80, 160)
IDENTITY = slice(0, 160)
EXPRESSION = slice(160, 224)
POSE = slice(224, 227)
ILLUMINATION = slice(227, 254)
NOISE = slice(254, 286)
LAMBDA_DIM = 286

ID_SHAPE_DIM = 80
ID_TEX_DIM = 80
IDENTITY_DIM = 160
EXPRESSION_DIM = 64
ILLUMINATION_DIM = 27
NOISE_DIM = 32

# pose entries inside the POSE slice
YAW, PITCH, ROLL = 0, 1, 2

# named expression components (index inside the EXPRESSION slice); see facemodel.EXPRESSION_NAMES
EXPRESSION_JAW_OPEN = 0
EXPRESSION_SMILE = 1
EXPRESSION_BROW_FROWN = 3
EXPRESSION_LIP_PUCKER = 7

FACTOR_SLICES = {
    "identity": IDENTITY,
    "expression": EXPRESSION,
    "pose": POSE,
    "illumination": ILLUMINATION,
    "noise": NOISE,
}
