# The platform documentation's script "Creating a registration token"; its placeholders are read
# from the environment (ADMIN_REFRESH_TOKEN, CLIENT_NAME, ACCESS_TTL, REFRESH_TTL, TOKEN_TYPE),
# nothing else changed.
import os

from mlplatform_client import MLPlatform
from mlplatform_client.serializers.auth import MLPTokenType

ADMIN_REFRESH_TOKEN = os.environ["ADMIN_REFRESH_TOKEN"]

mlp = MLPlatform(ADMIN_REFRESH_TOKEN)

register_token = mlp.create_register_token(
    client_name=os.environ["CLIENT_NAME"],
    access_ttl=os.environ["ACCESS_TTL"],
    refresh_ttl=os.environ["REFRESH_TTL"],
    token_type=MLPTokenType[os.environ["TOKEN_TYPE"]],
)

print(register_token)
