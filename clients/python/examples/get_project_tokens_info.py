# The platform documentation's script "Getting a list of the project's access tokens"; its placeholder
# is read from the environment (ADMIN_REFRESH_TOKEN), nothing else changed.
import os

from mlplatform_client import MLPlatform

ADMIN_REFRESH_TOKEN = os.environ["ADMIN_REFRESH_TOKEN"]

mlp = MLPlatform(ADMIN_REFRESH_TOKEN)

print(mlp.get_project_tokens_info())
