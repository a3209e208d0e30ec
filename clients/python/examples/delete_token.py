# The platform documentation's script "Deleting an access token"; its placeholders are read from the
# environment (ADMIN_REFRESH_TOKEN, TOKEN_NAME), nothing else changed.
import os

from mlplatform_client import MLPlatform

ADMIN_REFRESH_TOKEN = os.environ["ADMIN_REFRESH_TOKEN"]

mlp = MLPlatform(ADMIN_REFRESH_TOKEN)

mlp.delete_token(token_name=os.environ["TOKEN_NAME"])
