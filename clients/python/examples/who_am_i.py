# The platform documentation's script "Getting information about a token"; its placeholder is read
# from the environment (REFRESH_TOKEN), nothing else changed.
import os

from mlplatform_client import MLPlatform

REFRESH_TOKEN = os.environ["REFRESH_TOKEN"]

mlp = MLPlatform(REFRESH_TOKEN)

print(mlp.who_am_i())
