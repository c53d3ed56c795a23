#!/usr/bin/env python3
"""Writes a planted corpus: one file per fake credential (random, in the provider's documented
format; never a real one), the credential on line 3 in a realistic context. Prints nothing;
DIR/expected.tsv lists file and kind. Usage: planted-corpus.py DIR [SEED]"""
import base64, json, os, random, sys

out, seed = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1
rng = random.Random(seed)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HEX, B64 = "0123456789abcdef", ALNUM + "+/"
def s(alpha, n): return "".join(rng.choice(alpha) for _ in range(n))
def uuid(): return f"{s(HEX,8)}-{s(HEX,4)}-{s(HEX,4)}-{s(HEX,4)}-{s(HEX,12)}"
def b64u(obj): return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
pem = "".join(s(B64, 64) + "\n" for _ in range(12))
jwt = f'{b64u({"alg":"HS256","typ":"JWT"})}.{b64u({"sub":"svc-42","iat":1700000000})}.{s(ALNUM+"-_",43)}'

planted = [
    ("aws-access-key", "config.ini", f"aws_access_key_id = AKIA{s('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567',16)}"),
    ("aws-secret-key", "credentials", f"aws_secret_access_key = {s(B64,40)}"),
    ("github-pat", "deploy.sh", f"export GH_TOKEN=ghp_{s(ALNUM,36)}"),
    ("github-fine-grained", "ci.env", f"GITHUB=github_pat_{s(ALNUM,22)}_{s(ALNUM,59)}"),
    ("gitlab-pat", "gitlab.py", f'TOKEN = "glpat-{s(ALNUM,20)}"'),
    ("slack-bot", "notify.yaml", f"token: xoxb-{s('0123456789',12)}-{s('0123456789',13)}-{s(ALNUM,24)}"),
    ("slack-webhook", "hook.txt", f"https://hooks.slack.com/services/T{s('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',8)}/B{s('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',10)}/{s(ALNUM,24)}"),
    ("stripe", "billing.js", f"const stripe = require('stripe')('sk_live_{s(ALNUM,24)}');"),
    ("npm", ".npmrc", f"//registry.npmjs.org/:_authToken=npm_{s(ALNUM,36)}"),
    ("pypi", ".pypirc", f"password = pypi-AgEIcHlwaS5vcmc{s(ALNUM+'-_',70)}"),
    ("gcp-api-key", "maps.html", f'<script src="https://maps.googleapis.com/maps/api/js?key=AIza{s(ALNUM+"-_",35)}"></script>'),
    ("sendgrid", "mail.py", f'sg = SendGridAPIClient("SG.{s(ALNUM,22)}.{s(ALNUM,43)}")'),
    ("twilio", "sms.py", f'twilio_api_key = "SK{s(HEX,32)}"'),
    ("mailchimp", "mc.php", f'$apikey = "{s(HEX,32)}-us{rng.randint(1,20)}";'),
    ("digitalocean", "do.tf", f'token = "dop_v1_{s(HEX,64)}"'),
    ("dockerhub", "login.sh", f"echo dckr_pat_{s(ALNUM,27)} | docker login -u ci --password-stdin"),
    ("openai", "ai.py", f'openai.api_key = "sk-proj-{s(ALNUM,40)}T3BlbkFJ{s(ALNUM,40)}"'),
    ("huggingface", "hf.py", f'HF_TOKEN = "hf_{s("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",34)}"'),
    ("vault", "vault.env", f"VAULT_TOKEN=hvs.{s(ALNUM,95)}"),
    ("shopify", "shop.rb", f'ShopifyAPI::Session.new(token: "shpat_{s(HEX,32)}")'),
    ("rsa-key", "id_rsa", f"-----BEGIN RSA PRIVATE KEY-----\n{pem}-----END RSA PRIVATE KEY-----"),
    ("openssh-key", "id_ed25519", f"-----BEGIN OPENSSH PRIVATE KEY-----\n{pem}-----END OPENSSH PRIVATE KEY-----"),
    ("pkcs8-key", "server.key", f"-----BEGIN PRIVATE KEY-----\n{pem}-----END PRIVATE KEY-----"),
    ("jwt", "session.txt", f"Cookie: session={jwt}"),
    ("postgres-url", "settings.py", f'DATABASE_URL = "postgres://app:{s(ALNUM,18)}@db.internal:5432/app"'),
    ("mongodb-url", "mongo.js", f'mongoose.connect("mongodb+srv://svc:{s(ALNUM,16)}@cluster0.mongodb.net/prod")'),
    ("password-assignment", "db.py", f'db_password = "{s(ALNUM,14)}"'),
    ("api-key-assignment", "client.json", f'  "apiKey": "{s(ALNUM,32)}",'),
    ("env-secret", "Dockerfile", f"ENV JWT_SIGNING_SECRET={s(ALNUM,24)}"),
    ("bearer", "call.sh", f"curl -H 'Authorization: Bearer {s(ALNUM,40)}' https://api.internal/v1"),
    ("basic-auth-url", "pip.conf", f"index-url = https://deploy:{s(ALNUM,20)}@pypi.internal/simple"),
    ("heroku", "heroku.env", f"HEROKU_API_KEY={uuid()}"),
    ("datadog", "datadog.yaml", f"api_key: {s(HEX,32)}"),
    ("telegram", "bot.py", f'bot = Bot("{s("123456789",10)}:AA{s(ALNUM,33)}")'),
    ("azure-storage", "azure.cfg", f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={s(B64,86)}==;EndpointSuffix=core.windows.net"),
    ("age", "age.key", f"AGE-SECRET-KEY-1{s('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L',58)}"),
]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "expected.tsv"), "w") as expected:
    for n, (kind, name, line) in enumerate(planted):
        d = os.path.join(out, f"{n:02d}-{kind}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "w") as f:
            f.write(f"# {kind} sample\n\n{line}\n\n# end\n")
        expected.write(f"{n:02d}-{kind}/{name}\t{kind}\n")
