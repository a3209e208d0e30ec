# The platform documentation's script "Creating an access token with a registration token"; its
# placeholder is read from the environment (REGISTER_TOKEN), nothing else changed.
import os

from mlplatform_client import MLPlatform

REGISTER_TOKEN = os.environ["REGISTER_TOKEN"]

mlp = MLPlatform()
refresh_token = mlp.create_refresh_token(REGISTER_TOKEN)

print(refresh_token)
