"""Fake secrets in the shapes adlstrace must scrub, and ordinary text it must keep.

Every value here is made up for this file: keys, signatures and tokens come from random
bytes, passwords were written by hand, and none is a credential for any service.

Other test modules import SECRET_CASES to prove that reports, evidence files and logs
carry no secret, and ORDINARY_TEXTS to prove that scrubbing leaves the facts a support
engineer needs.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ORDINARY_TEXTS", "SECRET_CASES", "SecretCase", "leaked_fragments"]


@dataclass(frozen=True)
class SecretCase:
    """One text that contains a secret, and the exact secret substring."""

    name: str
    text: str
    secret: str

    def __post_init__(self) -> None:
        if self.secret not in self.text:
            raise ValueError(f"corpus case {self.name!r}: secret is not a substring of its text")


def leaked_fragments(secret: str, output: str, width: int = 12) -> list[str]:
    """Return every ``width``-character piece of ``secret`` that still occurs in ``output``.

    A check for the whole secret alone would pass when only its last character was
    redacted. A secret shorter than ``width`` is checked whole.
    """
    if len(secret) <= width:
        return [secret] if secret in output else []
    pieces = (secret[start : start + width] for start in range(len(secret) - width + 1))
    return sorted({piece for piece in pieces if piece in output})


# Azure Storage and Cosmos DB account keys: 64 random bytes, 88 base64 characters.
STORAGE_KEY_1 = "m9HFVkLPJl23wd1eVQQ7s61N5pgf3QxoW79MrpoVLh8HM1MAPExN02pmNdH5dp+vuqlfae/41v0/27UO8b+SQg=="
STORAGE_KEY_2 = "XkdgOtU3iCbvba8O0d2q2mAHVNH17rKEZ1wYqmrqt3BUyuEPHZCaLq/+D8yp96tKtsa5U7M1+YXpAlXWigTzPA=="
STORAGE_KEY_3 = "P9ZcX8WGudJtsguNxCXq7eQTvkDe08XIQwKfu3RDn/aeIhY92/JQWXB3YAwTSTgofub7nbFpLy9Inw694tKO5g=="
STORAGE_KEY_4 = "9vQNtHLMwc3KVayxzxJgX+NqGfGySQBctTEqN1Il6uNoxei+mNoTWJhRbMroRhSf/gppknmKo7hMTMk+arSKKQ=="
COSMOS_KEY = "2ewW4U3eTYM4LLpvYl+vMcb/bMqq03a+Bj8BG9b6XcmSIlCZWO63PIZ08G2GBZ8Pz7jQnciM2xtwL5wHCO2FRw=="

# Service Bus and Event Hubs shared access keys: 32 random bytes, 44 base64 characters.
SERVICE_BUS_KEY = "DdNrp0gzyQC5sq1ySC8uzEHdzGEKzqEqnvMZAcPW8FU="
EVENT_HUB_KEY = "Jkkaj9HDU/B/XrVYx0BfNyPuZPeSWa8onUTjAnvY8FE="

# SAS signatures are HMAC-SHA256 digests, 44 base64 characters, usually URL-encoded.
SAS_SIG_BLOB = "ZuURrrX4PqXDZrtu4EPq00pIKneI1Ht2lNLJ61tS140%3D"
SAS_SIG_DFS = "o7OcTwLSpZEeEt3vACvWAbH9jGuuAu%2F67NfsTf9nnS0%3D"
SAS_SIG_QUEUE = "%2FohFtEwXKgexH9hzDBPaWiI7vJl5UbvJmCSlE37ES64%3D"
SAS_SIG_FILE = "Gsxncsm1hcrYiVaCy3340RPJf9t5XH6PGJOWdpTd6AE%3D"
SAS_SIG_CONNECTION = "WTO4dk7xqFdYtIboilEn2aEqdnON2ty%2B%2FzBxWWIrtjw%3D"
SAS_SIG_SERVICE_BUS = "4noiLEuw2wKrNCe5hQrrlc6p9f%2BxmHUJery88AWj%2BR8%3D"
SAS_SIG_JSON_ESCAPED = "ub3EOEEwAqple%2BEWTLhXxKmIcR%2BkNS02HoPYbkFeloY%3D"
# The same digest percent-encoded twice, as inside a redirect URL's query string.
SAS_SIG_DOUBLE_ENCODED = "MGpTmRDl7i71jVGj4SGKHaJXQCLNNnJfH9WCDNVyjzk%253D"
SAS_SIG_FIRST = "wHXpwuz5VCQxQ2brMMonwQrsIGSH93RItJ9rVRMAD3E%3D"

# Microsoft Entra ID client secrets in the current 40-character shape.
ENTRA_SECRET_1 = "L8S8Q~-T-8ZaK_XV..7_0ycKBbmNcv3EdUaLLYhj"
ENTRA_SECRET_2 = "mUB7Q~lcX36-QIYfJGk9cknPw8qNRlMW5keRaVSF"
ENTRA_SECRET_3 = "Evm8Q~q.8OX5wrIlY9cQwaOoQbBcQh4kLG6DFJ01"

_JWT_HEADER = "eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJSUzI1NiIsICJ4NXQiOiAiZmFrZVg1dCIsICJraWQiOiAiZmFrZUtpZCJ9"
_JWT_PAYLOAD = (
    "eyJhdWQiOiAiaHR0cHM6Ly9tYW5hZ2VtZW50LmNvcmUud2luZG93cy5uZXQvIiwgImlzcyI6ICJodHRwczovL3N0cy53"
    "aW5kb3dzLm5ldC83MmY5ODhiZi0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAvIiwgImlhdCI6IDE3MTgwMDAwMD"
)
JWT_1 = (
    _JWT_HEADER + "." + _JWT_PAYLOAD + "AsICJvaWQiOiAiZmFrZSJ9."
    "Un-8PDt3c4kF2dPA009XIP_XJEgzcgN2_2k4zVCyeWB3V1TBQtLcMLKb9m3yZR-JpbfbqH0eq6ImwfkyJUYgyw"
)
JWT_2 = (
    _JWT_HEADER + "." + _JWT_PAYLOAD + "EsICJvaWQiOiAiZmFrZSJ9."
    "gUtQ79pGISluDNHIgeWSe-_E5jtkH6OdVQHXL809_PLX4YVPfAX5TxcTEYRW0hSA2fhfp7938WoVobc6V8qBKQ"
)
JWT_3 = (
    _JWT_HEADER + "." + _JWT_PAYLOAD + "IsICJvaWQiOiAiZmFrZSJ9."
    "yLJEiSNsshIO1bPcWi4l4-p9UULeSMesO-SqHhvLRs2O_w7rf-fylZIjDPwQrVAAUyF-TntWgyYWlxvVG4wo7g"
)
JWT_4 = (
    _JWT_HEADER + "." + _JWT_PAYLOAD + "MsICJvaWQiOiAiZmFrZSJ9."
    "Bv9Yk4IVg_geGUjx79PGHK-rxAycw6BoVSwffysA8eFV7ASZW512LhZtkfmn4AXYLTildQZbaZsE_Sfyk79TXg"
)

OPAQUE_TOKEN_1 = "GgEBjSztla0gIqkEl44ywc22SrpHYUQZSbyNnfKjl41MQHEOPALTw4vZ-pEo811f"
OPAQUE_TOKEN_2 = "OtyDi9JSO7_oV4K2fp3jGdxpFHOQ9BC_gL4gFS1dUU81RMkQCj2NBEucAbnEKny8"
REFRESH_TOKEN = (
    "0.AINxyZqEqVBlKoZvklkp51WaTliKxPsubz3ktlLVypKVpWL9X89tshs6h0lUp380MJcjJcBZFP17wiYXmVgc"
    "vJzoxSV3b9cNRJwpmuvbKgKfqsV3C-lvj_CG4InnplAA-Kq8brEkCibcbQ5Y-A5I7jQoTxv5uhOHa"
)
GITHUB_TOKEN = "ghp_IkQFU960mNhJuAPXOEGvgUsWlY8A1myEVIR6"
API_KEY_ALNUM = "LFYhOTduCDuaOHZgO3IwAwufmcTZv6Al"
API_KEY_HEX = "90acbc5fbb5ecb983b410e6f58de9b9d"
FUNCTION_KEY = "0vUvM87ICs9M7gxz9oa-FkatZd8Tkn2LF5wcQ0TDofRvZYL3DgTT5A=="
ENCRYPTION_KEY = "wHXpwuz5VCQxQ2brMMonwQrsIGSH93RItJ9rVRMAD3E="
# base64("etl_loader:Winter2024!Pump")
BASIC_CREDENTIALS = "ZXRsX2xvYWRlcjpXaW50ZXIyMDI0IVB1bXA="
ENCRYPTED_CREDENTIAL = (
    "ew0KICAiVmVyc2lvbiI6ICIyMDE3LTExLTMwIiwNCiAgIlByb3RlY3Rpb25Nb2RlIjogIktleSIsDQogICJTZWNyZXRDb2"
    "50ZW50VHlwZSI6ICJQbGFpbnRleHQiLA0KICAiQ3JlZGVudGlhbElkIjogIkZBS0UtRkFLRSINCn0="
)

_PEM_BODY_LINES = (
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7mqfUYYvWn7ms",
    "3hVp5rNu4iSk+mp46LkwtxkcL1+b86yN0z4msnj6O876Bz4hQwRhoZYjluvj1ZFE",
    "FP8e55LRhl2uohXm2nPcKmXZ6QPAsNB3d5Z5wdAYB2kZnQALhd2SDZADb5NX/JBr",
    "FFkG9Shdjbnn+SWb7H1qJzc/Yx9+XK9jFk0HvOx0mTR5+KWyWK+C9c9fq6w8Wvag",
)
PEM_BODY = "\n".join(_PEM_BODY_LINES)

_SAS_COMMON = "sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupiytfx&se=2024-06-30T17:00:00Z&st=2024-06-01T09:00:00Z&spr=https"

SECRET_CASES: list[SecretCase] = [
    # Azure Storage account keys and connection strings.
    SecretCase(
        "storage_key_bare",
        f"Rotated the primary key; the old value was {STORAGE_KEY_1} until 2024-06-01.",
        STORAGE_KEY_1,
    ),
    SecretCase(
        "storage_connection_string",
        "DefaultEndpointsProtocol=https;AccountName=contosoetl;"
        f"AccountKey={STORAGE_KEY_2};EndpointSuffix=core.windows.net",
        STORAGE_KEY_2,
    ),
    SecretCase(
        "storage_connection_string_json",
        '{"name": "AzureBlobStorageLS", "properties": {"type": "AzureBlobStorage", '
        '"typeProperties": {"connectionString": "DefaultEndpointsProtocol=https;'
        f'AccountName=contosoetl;AccountKey={STORAGE_KEY_3};EndpointSuffix=core.windows.net"}}}}',
        STORAGE_KEY_3,
    ),
    SecretCase(
        "storage_connection_string_json_escaped",
        '"message": "Invalid linked service payload {\\"connectionString\\":\\"DefaultEndpointsProtocol'
        f'=https;AccountName=contosoetl;AccountKey={STORAGE_KEY_4}\\"}}"',
        STORAGE_KEY_4,
    ),
    SecretCase(
        "storage_key_wrapped_first_line",
        'System.FormatException: Settings must be of the form "name=value".\n'
        "   connection: DefaultEndpointsProtocol=https;AccountName=contosoetl;AccountKey="
        f"{STORAGE_KEY_1[:52]}\n"
        f"   {STORAGE_KEY_1[52:]};EndpointSuffix=core.windows.net\n"
        "   at Microsoft.Azure.Storage.CloudStorageAccount.Parse(String connectionString)",
        STORAGE_KEY_1[:52],
    ),
    SecretCase(
        "storage_key_wrapped_second_line",
        'System.FormatException: Settings must be of the form "name=value".\n'
        "   connection: DefaultEndpointsProtocol=https;AccountName=contosoetl;AccountKey="
        f"{STORAGE_KEY_2[:60]}\n"
        f"   {STORAGE_KEY_2[60:]};EndpointSuffix=core.windows.net\n"
        "   at Microsoft.Azure.Storage.CloudStorageAccount.Parse(String connectionString)",
        STORAGE_KEY_2[60:],
    ),
    SecretCase(
        "cosmos_connection_string",
        f"AccountEndpoint=https://contoso-cosmos.documents.azure.com:443/;AccountKey={COSMOS_KEY};",
        COSMOS_KEY,
    ),
    SecretCase(
        "connection_string_shared_access_signature",
        "BlobEndpoint=https://contosoetl.blob.core.windows.net/;"
        "QueueEndpoint=https://contosoetl.queue.core.windows.net/;"
        f"SharedAccessSignature={_SAS_COMMON}&sig={SAS_SIG_CONNECTION}",
        SAS_SIG_CONNECTION,
    ),
    # SAS query strings for each storage service.
    SecretCase(
        "sas_url_blob",
        "Copy failed reading "
        f"https://contosoetl.blob.core.windows.net/raw/sales/2024/06/01.csv?{_SAS_COMMON}&sig={SAS_SIG_BLOB} "
        "(403 AuthenticationFailed).",
        SAS_SIG_BLOB,
    ),
    SecretCase(
        "sas_url_dfs",
        "PUT https://contosolake.dfs.core.windows.net/curated/out/part-0001.parquet"
        f"?action=append&position=0&{_SAS_COMMON}&sig={SAS_SIG_DFS}",
        SAS_SIG_DFS,
    ),
    SecretCase(
        "sas_url_queue",
        f"https://contosoetl.queue.core.windows.net/jobs/messages?{_SAS_COMMON}&sig={SAS_SIG_QUEUE}&visibilitytimeout=30",
        SAS_SIG_QUEUE,
    ),
    SecretCase(
        "sas_url_file",
        f'"sasUri": "https://contosoetl.file.core.windows.net/share/in/a.txt?{_SAS_COMMON}&sig={SAS_SIG_FILE}"',
        SAS_SIG_FILE,
    ),
    SecretCase(
        "sas_signature_first",
        f"https://contosoetl.blob.core.windows.net/raw?sig={SAS_SIG_FIRST}&se=2024-06-30T17:00:00Z&sp=rl&sv=2022-11-02&sr=c",
        SAS_SIG_FIRST,
    ),
    SecretCase(
        "sas_url_json_unicode_escaped",
        '{"url":"https://contosoetl.blob.core.windows.net/raw/a.csv?sv=2022-11-02\\u0026sr=b'
        f'\\u0026sig={SAS_SIG_JSON_ESCAPED}\\u0026se=2024-06-30T17%3A00%3A00Z\\u0026sp=r"}}',
        SAS_SIG_JSON_ESCAPED,
    ),
    SecretCase(
        "sas_url_double_encoded",
        "GET https://login.contoso.com/continue?target=https%3A%2F%2Fcontosoetl.blob.core.windows.net"
        f"%2Fraw%2Fa.csv%3Fsv%3D2022-11-02%26sr%3Db%26sig%3D{SAS_SIG_DOUBLE_ENCODED}%26sp%3Dr HTTP/1.1",
        SAS_SIG_DOUBLE_ENCODED,
    ),
    # Service Bus and Event Hubs.
    SecretCase(
        "service_bus_shared_access_key",
        "Endpoint=sb://contoso-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        f"SharedAccessKey={SERVICE_BUS_KEY}",
        SERVICE_BUS_KEY,
    ),
    SecretCase(
        "event_hub_shared_access_key",
        "Endpoint=sb://contoso-events.servicebus.windows.net/;SharedAccessKeyName=send;"
        f"SharedAccessKey={EVENT_HUB_KEY};EntityPath=telemetry",
        EVENT_HUB_KEY,
    ),
    SecretCase(
        "service_bus_sas_token",
        "SharedAccessSignature sr=https%3A%2F%2Fcontoso-bus.servicebus.windows.net%2Fjobs"
        f"&sig={SAS_SIG_SERVICE_BUS}&se=1718000000&skn=RootManageSharedAccessKey",
        SAS_SIG_SERVICE_BUS,
    ),
    # Microsoft Entra ID client secrets and service principal keys.
    SecretCase(
        "client_secret_form_body",
        "POST /72f988bf-0000-0000-0000-000000000000/oauth2/v2.0/token grant_type=client_credentials"
        "&client_id=5a1e3f0c-8d2b-4c4e-9f6a-1b2c3d4e5f60"
        f"&client_secret={ENTRA_SECRET_1}&scope=https%3A%2F%2Fdatalake.azure.net%2F.default",
        ENTRA_SECRET_1,
    ),
    SecretCase(
        "client_secret_json",
        '{"tenantId": "72f988bf-0000-0000-0000-000000000000", '
        f'"clientId": "5a1e3f0c-8d2b-4c4e-9f6a-1b2c3d4e5f60", "clientSecret": "{ENTRA_SECRET_2}"}}',
        ENTRA_SECRET_2,
    ),
    SecretCase(
        "client_secret_bare",
        f"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is {ENTRA_SECRET_3}.",
        ENTRA_SECRET_3,
    ),
    SecretCase(
        "service_principal_key_secure_string",
        '"typeProperties": {"accountName": "contosoadla", "servicePrincipalId": '
        '"5a1e3f0c-8d2b-4c4e-9f6a-1b2c3d4e5f60", "servicePrincipalKey": '
        '{"type": "SecureString", "value": "pV7-legacy.Secret_4xQ"}}',
        "pV7-legacy.Secret_4xQ",
    ),
    SecretCase(
        "secure_string_under_ordinary_name",
        '"parameters": {"sqlConnection": {"type": "SecureString", "value": "Server=sqlprod-7;Uid=sa;Pwd=Fr0stBite99"}}',
        "Server=sqlprod-7;Uid=sa;Pwd=Fr0stBite99",
    ),
    SecretCase(
        "encrypted_credential_json",
        '"typeProperties": {"url": "https://contoso.sharepoint.com", '
        f'"encryptedCredential": "{ENCRYPTED_CREDENTIAL}"}}',
        ENCRYPTED_CREDENTIAL,
    ),
    # Bearer tokens and JWTs.
    SecretCase(
        "bearer_header",
        f"GET /jobs/3f2a1b2c-1111-2222-3333-444455556666?api-version=2016-11-01\nAuthorization: Bearer {JWT_1}",
        JWT_1,
    ),
    SecretCase(
        "bearer_opaque_in_log",
        f"retrying request with header Bearer {OPAQUE_TOKEN_1} after 401",
        OPAQUE_TOKEN_1,
    ),
    SecretCase(
        "jwt_bare_in_exception",
        f"MsalUiRequiredException: token {JWT_2} was rejected by the resource",
        JWT_2,
    ),
    SecretCase(
        "access_token_json",
        f'{{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "{JWT_3}"}}',
        JWT_3,
    ),
    SecretCase(
        "x_ms_copy_source_authorization",
        f"x-ms-copy-source-authorization: Bearer {JWT_4}\nx-ms-version: 2021-08-06",
        JWT_4,
    ),
    SecretCase(
        "refresh_token_form_body",
        f"grant_type=refresh_token&refresh_token={REFRESH_TOKEN}&client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        REFRESH_TOKEN,
    ),
    SecretCase(
        "refresh_token_json",
        f'{{"refresh_token": "{REFRESH_TOKEN[:90]}", "foci": "1"}}',
        REFRESH_TOKEN[:90],
    ),
    SecretCase(
        "access_token_query",
        f"wss://contoso.webpubsub.azure.com/client/hubs/jobs?access_token={OPAQUE_TOKEN_2}",
        OPAQUE_TOKEN_2,
    ),
    SecretCase(
        "authorization_basic",
        f"Authorization: Basic {BASIC_CREDENTIALS}\r\nContent-Type: application/json",
        BASIC_CREDENTIALS,
    ),
    # SQL Server, ODBC and JDBC connection strings.
    SecretCase(
        "sql_server_password",
        "Server=tcp:contoso-sql.database.windows.net,1433;Initial Catalog=Sales;Persist Security Info=False;"
        "User ID=etl_loader;Password=Winter2024!Pump;MultipleActiveResultSets=False;Encrypt=True;",
        "Winter2024!Pump",
    ),
    SecretCase(
        "sql_user_id_password_spaced",
        "Data Source=contoso-sql.database.windows.net; User Id = etl_reader ; Password = R3ad-0nly#2024 ; "
        "Connect Timeout=30",
        "R3ad-0nly#2024",
    ),
    SecretCase(
        "sql_password_single_quoted_semicolon",
        "Server=contoso-sql;Database=Sales;User ID=etl;Password='Gr33n;Tea''s-Hot';Encrypt=True",
        "Gr33n;Tea''s-Hot",
    ),
    SecretCase(
        "sql_password_double_quoted_semicolon",
        'Server=contoso-sql;Database=Sales;User ID=etl;Password="Bl4ck;C0ffee=Strong";Encrypt=True',
        "Bl4ck;C0ffee=Strong",
    ),
    SecretCase(
        "odbc_pwd_braced",
        "Driver={ODBC Driver 18 for SQL Server};Server=tcp:contoso-sql.database.windows.net,1433;"
        "Uid=etl_loader;Pwd={Tr0ub;4dor}}&Horse};Encrypt=yes;",
        "Tr0ub;4dor}}&Horse",
    ),
    SecretCase(
        "jdbc_sql_server_password",
        "jdbc:sqlserver://contoso-sql.database.windows.net:1433;database=Sales;user=etl@contoso-sql;"
        "password=Summ3r&Rain2024;encrypt=true;trustServerCertificate=false",
        "Summ3r&Rain2024",
    ),
    SecretCase(
        "jdbc_postgres_query_password",
        "jdbc:postgresql://contoso-pg.postgres.database.azure.com:5432/sales?user=etl&password=Aut0mn-Leaves!&ssl=true",
        "Aut0mn-Leaves!",
    ),
    SecretCase(
        "xml_password_element",
        "<connectionSettings><UserName>etl</UserName><Password>W1nd&amp;Fire</Password></connectionSettings>",
        "W1nd&amp;Fire",
    ),
    # Credentials in URLs.
    SecretCase(
        "basic_auth_url",
        "Fetching https://etl_loader:Spr1ngTime%21@files.contoso.com/export/daily.csv failed with 404",
        "Spr1ngTime%21",
    ),
    SecretCase(
        "sftp_url_password",
        "sftp://partner:Ocean-Blue-77@sftp.partner.example:22/outgoing/",
        "Ocean-Blue-77",
    ),
    SecretCase(
        "function_key_query",
        f"POST https://contoso-fn.azurewebsites.net/api/TriggerUsql?code={FUNCTION_KEY} returned 500",
        FUNCTION_KEY,
    ),
    # U-SQL scripts.
    SecretCase(
        "usql_declare_password",
        'DECLARE @inputPath string = "/raw/sales/{date:yyyy}/{date:MM}/{*}.csv";\n'
        'DECLARE @password string = "Usq1-Pa55word";\n'
        "@rows = EXTRACT id int FROM @inputPath USING Extractors.Csv();",
        "Usq1-Pa55word",
    ),
    SecretCase(
        "usql_declare_secret",
        'DECLARE @secret string = "d3f-Secret-Value";\nDECLARE @outputPath string = "/curated/out.csv";',
        "d3f-Secret-Value",
    ),
    SecretCase(
        "usql_declare_key_verbatim",
        'DECLARE @key string = @"k3y\\with\\backslashes";',
        "k3y\\with\\backslashes",
    ),
    SecretCase(
        "usql_declare_storage_account_key",
        f'DECLARE @storageAccountKey = "{STORAGE_KEY_3[:40]}";',
        STORAGE_KEY_3[:40],
    ),
    # ADF pipeline parameters, linked services and Key Vault.
    SecretCase(
        "pipeline_parameter_db_password",
        '"parameters": {"dbServer": "contoso-sql", "dbPassword": "P1peline-Param!"}',
        "P1peline-Param!",
    ),
    SecretCase(
        "python_repr_password",
        "kwargs={'server': 'contoso-sql', 'password': 'Repr-S3cret', 'timeout': 30}",
        "Repr-S3cret",
    ),
    SecretCase(
        "key_vault_secret_value",
        '{"attributes": {"enabled": true, "created": 1717200000}, "contentType": null, '
        '"id": "https://contoso-kv.vault.azure.net/secrets/sql-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9", '
        '"name": "sql-password", "tags": {}, "value": "Vault-Held-S3cret"}',
        "Vault-Held-S3cret",
    ),
    # Headers and API keys.
    SecretCase(
        "x_ms_encryption_key_header",
        f"x-ms-encryption-key: {ENCRYPTION_KEY}\nx-ms-encryption-algorithm: AES256",
        ENCRYPTION_KEY,
    ),
    SecretCase(
        "ocp_apim_subscription_key_header",
        f"Ocp-Apim-Subscription-Key: {API_KEY_HEX}\nAccept: application/json",
        API_KEY_HEX,
    ),
    SecretCase(
        "api_key_query",
        f"GET https://api.partner.example/v2/rates?api_key={API_KEY_ALNUM}&currency=EUR",
        API_KEY_ALNUM,
    ),
    SecretCase(
        "apikey_colon",
        f"partner settings loaded (apikey: {API_KEY_ALNUM[::-1]}, region: westeurope)",
        API_KEY_ALNUM[::-1],
    ),
    SecretCase(
        "github_token",
        f"git clone https://github.com/contoso/etl.git using {GITHUB_TOKEN}",
        GITHUB_TOKEN,
    ),
    # Private keys.
    SecretCase(
        "pem_private_key",
        f"certificate loaded:\n-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\ndone",
        _PEM_BODY_LINES[2],
    ),
    SecretCase(
        "pem_rsa_private_key_json_escaped",
        '{"privateKeyPem": "-----BEGIN RSA PRIVATE KEY-----\\n'
        + "\\n".join(_PEM_BODY_LINES)
        + '\\n-----END RSA PRIVATE KEY-----\\n"}',
        _PEM_BODY_LINES[1],
    ),
    SecretCase(
        "pem_private_key_truncated",
        "ssh key: -----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(_PEM_BODY_LINES[:2]) + "\n[log truncated]",
        _PEM_BODY_LINES[1],
    ),
]

# Ordinary text from ADF and ADLA that must come out of scrubbing unchanged.
ORDINARY_TEXTS: list[str] = [
    "Activity 'Transform Sales' (run 0d2f5f3a-6b7c-4d8e-9f01-23456789abcd) failed after 00:04:12.",
    "https://contosoadla.azuredatalakeanalytics.net/jobLink/3f2a1b2c-1111-2222-3333-444455556666",
    "adl://contosoadls.azuredatalakestore.net/system/jobservice/jobs/Usql/2016/07/01/12/34/"
    "3f2a1b2c-1111-2222-3333-444455556666/algebra.xml",
    "/subscriptions/9c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f/resourceGroups/rg-etl-prod/providers/"
    "Microsoft.DataFactory/factories/adf-contoso-prod/pipelines/DailySales",
    '"runStart": "2024-06-01T10:20:30.1234567Z", "runEnd": "2024-06-01T10:24:42.7654321Z"',
    "E_CSC_USER_SYNTAXERROR: syntax error. Expected one of: '(' ';' at line 42, column 7 near 'FORM'.",
    "Login failed for user 'etl_loader'. Reason: The password of the account has expired.",
    "The password expired; ask the owner of the Key Vault 'contoso-kv' for a new one.",
    "Secret 'sql-password' was read from Key Vault contoso-kv through the linked service AKV_LS.",
    "https://contoso-kv.vault.azure.net/secrets/sql-password/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    '{"type": "AzureKeyVaultSecret", "store": {"referenceName": "AKV_LS", "type": "LinkedServiceReference"}, '
    '"secretName": "sql-password", "secretVersion": "0a1b2c3d4e5f60718293a4b5c6d7e8f9"}',
    '"keyVaultName": "contoso-kv", "tokenType": "Bearer", "keyColumn": "customer_id", "secretName": "db-pwd"',
    '{"jobId": "3f2a1b2c-1111-2222-3333-444455556666", "runId": "0d2f5f3a-6b7c-4d8e-9f01-23456789abcd", '
    '"errorId": "E_RUNTIME_USER_ROWTOOBIG"}',
    '"iterationHash": "a1c659debffb76c7b89a1be0b2a97df243031314dd6eb04914e7b1a725cd534d"',
    "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg== and short base64 dGVzdA== stay.",
    "Microsoft.Analytics.Interfaces, Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35",
    "The Bearer token expired; Authorization failed for the client; token: expired.",
    "   at Microsoft.Cosmos.ScopeStudio.BusinessObjects.Runtime.JobRunner.Submit(String script) in "
    "C:\\src\\JobRunner.cs:line 218",
    "@rows = EXTRACT customer_id int, amount decimal FROM @inputPath USING Extractors.Csv(skipFirstNRows:1);",
    'DECLARE @inputPath string = "/raw/sales/{date:yyyy}/{date:MM}/{*}.csv";',
    "https://contosoetl.blob.core.windows.net/raw/sales/2024/06/01.csv",
    "x-ms-request-id: 7b1e6f0a-201e-0042-5b6e-b3a8f7000000\nx-ms-version: 2021-08-06",
    "ExecutionPolicy: retry=3, retryIntervalInSeconds=30, secureInput=false, secureOutput=false",
    "ProcessingDuration=00:12:31.4410000, AUs=10, Priority=1000, State=Ended, Result=Failed",
    "Pipeline DailySalesLoadFromPartnerIntoCuratedZone2024 finished with status Failed.",
    "upsertSettings: keys=[customer_id], useTempDB=true, interimSchemaName=staging",
]
