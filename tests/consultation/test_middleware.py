from django.conf import settings


def test_pages_are_french_even_for_an_english_browser(client, db):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page.headers["Content-Language"] == "fr"
    assert "Se connecter" in page.content.decode()


def test_the_language_switcher_turns_pages_to_english_and_back(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/")
    assert page.headers["Content-Language"] == "en"
    assert "Log in" in page.content.decode()
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert "Se connecter" in client.get("/").content.decode()


def test_an_unknown_language_in_the_cookie_falls_back_to_french(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert client.get("/").headers["Content-Language"] == "fr"
