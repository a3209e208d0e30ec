"""The Cloud ML Platform library's token calls, for mlp-console.

``from mlplatform_client import MLPlatform``
"""

from mlplatform_client.client import MLPlatform, TokenExpirationWarning
from mlplatform_client.serializers.auth import MLPTokenType

__all__ = ["MLPTokenType", "MLPlatform", "TokenExpirationWarning"]
__version__ = "0.1.0"
