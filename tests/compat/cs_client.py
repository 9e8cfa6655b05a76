#!/usr/bin/env python3
"""Drives a running Strato server with real CloudStack client libraries.

Usage: cs_client.py URL API_KEY SECRET_KEY

Uses the `cs` package (https://pypi.org/project/cs/) and apache-libcloud's CloudStack
driver, exactly as users would, plus a few hand-built requests for the cases those
libraries cannot produce (a tampered signature, a failed login). Exits non-zero on the
first failed check. Run by crates/strato/tests/api/compat.rs; set up by scripts/test.sh.
"""

import base64
import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

import requests
from cs import CloudStack, CloudStackApiException

BAD_CREDENTIALS = "unable to verify user credentials and/or request signature"


def step(msg):
    print(f"ok: {msg}", flush=True)


def expect_envelope(body, response_name, code, text=None):
    """Checks a CloudStack error envelope: one key, uuidList, errorcode, errortext."""
    assert isinstance(body, dict) and list(body) == [response_name], body
    inner = body[response_name]
    assert inner.get("uuidList") == [], body
    assert inner.get("errorcode") == code, body
    assert isinstance(inner.get("errortext"), str) and inner["errortext"], body
    if text is not None:
        assert inner["errortext"] == text, body
    return inner


def cs_encode(value):
    """Java URLEncoder.encode(value) with '+' -> '%20', as CloudStack signs."""
    return urllib.parse.quote(value, safe="*")


def sign(params, secret):
    message = "&".join(f"{k}={cs_encode(v)}" for k, v in sorted(params.items())).lower()
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def raw_get(url, params):
    """GET with urllib; returns (status, parsed JSON body)."""
    query = "&".join(f"{k}={urllib.parse.quote(v, safe='')}" for k, v in params.items())
    try:
        with urllib.request.urlopen(f"{url}?{query}", timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def main():
    url, key, secret = sys.argv[1:4]
    parsed = urllib.parse.urlparse(url)
    cs = CloudStack(endpoint=url, key=key, secret=secret, timeout=30, poll_interval=0.1)

    # (a) Plain signed calls. cs sends signatureVersion=3 + expires on every call.
    accounts = cs.listAccounts(listall=True)
    names = [a["name"] for a in accounts.get("account", [])]
    assert "admin" in names, accounts
    assert accounts["count"] == len(accounts["account"]), accounts
    step(f"cs listAccounts (signatureVersion=3): accounts {names}")

    apis = cs.listApis()
    count = apis.get("count", len(apis.get("api", [])))
    assert count > 30, f"listApis count {count}"
    listed = {a["name"] for a in apis["api"]}
    assert {"listAccounts", "createAccount", "queryAsyncJobResult"} <= listed, listed
    step(f"cs listApis: {count} commands")

    # cs can also sign without expiry (expiration < 0): the classic signature.
    v1 = CloudStack(endpoint=url, key=key, secret=secret, expiration=-1, timeout=30)
    assert "admin" in [a["name"] for a in v1.listAccounts()["account"]]
    step("cs listAccounts without signatureVersion/expires")

    # cs with POST instead of GET.
    post = CloudStack(endpoint=url, key=key, secret=secret, method="post", timeout=30)
    assert "admin" in [a["name"] for a in post.listAccounts()["account"]]
    step("cs listAccounts by POST")

    # (b) Wrong secret through cs: 401 in CloudStack's envelope.
    wrong = CloudStack(endpoint=url, key=key, secret=secret[:-4] + "AAAA", timeout=30)
    try:
        wrong.listAccounts()
        raise AssertionError("wrong secret accepted")
    except CloudStackApiException as e:
        assert e.response.status_code == 401, e.response.text
        assert e.response.json() == {
            "listaccountsresponse": {
                "uuidList": [],
                "errorcode": 401,
                "errortext": BAD_CREDENTIALS,
            }
        }, e.response.text
        assert e.error["errorcode"] == 401, e.error
    step("cs with a wrong secret: HTTP 401, listaccountsresponse envelope")

    # Hand-signed GET: valid first, then the same request with a tampered signature.
    params = {"command": "listAccounts", "apiKey": key, "response": "json", "name": "admin"}
    good = dict(params, signature=sign(params, secret))
    status, body = raw_get(url, good)
    assert status == 200, (status, body)
    assert body["listaccountsresponse"]["account"][0]["name"] == "admin", body
    step("hand-signed GET accepted")
    sig = good["signature"]
    tampered = dict(params, signature=("B" if sig[0] != "B" else "C") + sig[1:])
    status, body = raw_get(url, tampered)
    assert status == 401, (status, body)
    assert body == {
        "listaccountsresponse": {
            "uuidList": [],
            "errorcode": 401,
            "errortext": BAD_CREDENTIALS,
        }
    }, body
    step("hand-signed GET with a tampered signature: HTTP 401 envelope")
    # A parameter changed after signing is as bad as a changed signature.
    altered = dict(good, name="root")
    status, body = raw_get(url, altered)
    assert status == 401, (status, body)
    expect_envelope(body, "listaccountsresponse", 401, BAD_CREDENTIALS)
    step("parameter altered after signing: HTTP 401 envelope")

    # (c) signatureVersion=3 with an expiry in the past, signed by cs itself.
    try:
        cs.listAccounts(signatureVersion="3", expires="2001-01-01T00:00:00+0000")
        raise AssertionError("expired request accepted")
    except CloudStackApiException as e:
        assert e.response.status_code == 401, e.response.text
        assert "signature" in e.response.request.url and "expires=2001" in e.response.request.url
        expect_envelope(e.response.json(), "listaccountsresponse", 401, BAD_CREDENTIALS)
    step("cs request with signatureVersion=3 and expires in the past: HTTP 401 envelope")
    # The same by hand, and a far-future expiry still works.
    expired = dict(params, signatureVersion="3", expires="2001-01-01T00:00:00+0000")
    status, body = raw_get(url, dict(expired, signature=sign(expired, secret)))
    assert status == 401, (status, body)
    expect_envelope(body, "listaccountsresponse", 401, BAD_CREDENTIALS)
    future = dict(params, signatureVersion="3", expires="2099-01-01T00:00:00+0000")
    status, body = raw_get(url, dict(future, signature=sign(future, secret)))
    assert status == 200, (status, body)
    step("hand-signed signatureVersion=3: past expiry 401, future expiry 200")

    # (d) Login. cs has no username/password support, so POST command=login directly.
    r = requests.post(
        url,
        data={"command": "login", "username": "admin", "password": "not-it", "response": "json"},
        timeout=30,
    )
    assert r.status_code == 531, (r.status_code, r.text)
    inner = expect_envelope(r.json(), "loginresponse", 531)
    assert "cserrorcode" not in inner, r.text
    step(f"login with a wrong password: HTTP 531 loginresponse envelope ({inner['errortext']!r})")

    session = requests.Session()
    r = session.post(
        url,
        data={"command": "login", "username": "admin", "password": "password", "response": "json"},
        timeout=30,
    )
    assert r.status_code == 200, (r.status_code, r.text)
    login = r.json()["loginresponse"]
    assert login["username"] == "admin" and login["sessionkey"], login
    assert "JSESSIONID" in session.cookies and "sessionkey" in session.cookies, session.cookies
    r = session.post(
        url,
        data={"command": "listAccounts", "sessionkey": login["sessionkey"], "response": "json"},
        timeout=30,
    )
    assert r.status_code == 200, (r.status_code, r.text)
    assert "admin" in [a["name"] for a in r.json()["listaccountsresponse"]["account"]], r.text
    r = session.post(url, data={"command": "logout", "response": "json"}, timeout=30)
    assert r.status_code == 200 and r.json() == {"logoutresponse": {"description": "success"}}, r.text
    step("login as admin/password, session call, logout")

    # (e) Accounts and async jobs through cs (fetch_result polls queryAsyncJobResult).
    name = f"compat{uuid.uuid4().hex[:8]}"
    created = cs.createAccount(
        accounttype=0,
        username=name,
        password="Compat-Secret1",
        email=f"{name}@example.com",
        firstname="Compat",
        lastname="Test",
    )["account"]
    assert created["name"] == name and created["accounttype"] == 0, created
    assert created["state"] == "enabled", created
    account_id = created["id"]
    user_id = created["user"][0]["id"]
    step(f"cs createAccount {name}")

    disabled = cs.disableAccount(id=account_id, lock=False, fetch_result=True)
    assert disabled["account"]["state"] == "disabled", disabled
    step("cs disableAccount with fetch_result=True: job result state disabled")
    enabled = cs.enableAccount(id=account_id)
    assert enabled["account"]["state"] == "enabled", enabled
    step("cs enableAccount: state enabled")

    keys = cs.registerUserKeys(id=user_id)["userkeys"]
    user = CloudStack(endpoint=url, key=keys["apikey"], secret=keys["secretkey"], timeout=30)
    mine = user.listAccounts()
    assert [a["name"] for a in mine["account"]] == [name], mine
    step("the new user's own keys see only its account")

    r = requests.post(
        url,
        data={"command": "login", "username": name, "password": "Compat-Secret1", "response": "json"},
        timeout=30,
    )
    assert r.status_code == 200, (r.status_code, r.text)
    step("the new user logs in with its password")

    # (f) apache-libcloud's CloudStack driver.
    from libcloud.compute.providers import get_driver
    from libcloud.compute.types import Provider
    from libcloud.common.types import InvalidCredsError

    Driver = get_driver(Provider.CLOUDSTACK)
    driver = Driver(
        key=key,
        secret=secret,
        secure=False,
        host=parsed.hostname,
        port=parsed.port,
        path=parsed.path,
    )
    users = driver._sync_request("listUsers", params={"listall": "true"})
    usernames = [u["username"] for u in users["user"]]
    assert "admin" in usernames and name in usernames, users
    found = driver.connection._sync_request("listAccounts", params={"name": name})
    assert found["account"][0]["id"] == account_id, found
    step(f"libcloud listUsers / listAccounts: users {usernames}")

    driver.connection.poll_interval = 0.1
    result = driver._async_request("disableAccount", params={"id": account_id, "lock": "true"})
    assert result["account"]["state"] == "locked", result
    step("libcloud disableAccount lock=true (async, polled): state locked")
    result = driver._sync_request("enableAccount", params={"id": account_id})
    assert result["account"]["state"] == "enabled", result

    bad = Driver(
        key=key,
        secret=secret[:-4] + "AAAA",
        secure=False,
        host=parsed.hostname,
        port=parsed.port,
        path=parsed.path,
    )
    try:
        bad._sync_request("listAccounts")
        raise AssertionError("libcloud with a wrong secret accepted")
    except InvalidCredsError:
        pass
    step("libcloud with a wrong secret: InvalidCredsError (HTTP 401)")

    deleted = cs.deleteAccount(id=account_id, fetch_result=True)
    assert deleted["success"] is True, deleted
    assert not cs.listAccounts(name=name).get("account"), "deleted account still listed"
    step("cs deleteAccount with fetch_result=True: success, gone from listAccounts")

    print("all compatibility checks passed", flush=True)


if __name__ == "__main__":
    main()
