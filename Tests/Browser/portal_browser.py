#!/usr/bin/env python3
"""The Trägerportal in a real browser (issue 32, item 7): headless Chromium from Debian's packages, driven by
Selenium, against the real daemon and PostgreSQL that PortalBrowserTests started. One phase per run:

  provider  the provider's bookkeeper sets up the second factor, logs in with it, uploads a CSV with one bad
            line (sees the reason, nothing booked), uploads it corrected, reads its statement
  stolen    a session cookie taken before the token was rotated is refused
  county    the certifier is refused the second signature (four eyes); a forged form from another page is
            refused; the second account, logged in with its second factor, orders the payment

Every page is checked with axe-core (axe-selenium-python bundles it): no serious or critical violation.
Each page is saved as a screenshot. The last line printed is a JSON report; the exit status is 0 only when
every check held.
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import time
import urllib.parse

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

failures = []
pages = {}


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def totp(secret, step):
    """RFC 6238 with HMAC-SHA1, 6 digits: the code of time step `step` (what the app shows)."""
    key = base64.b32decode(secret + "=" * ((8 - len(secret) % 8) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def next_code(secret, used_step):
    """The app's code now, or of the next step when the current one was used already (a code is accepted
    once, and one step ahead of the server's clock)."""
    return totp(secret, max(used_step + 1, int(time.time()) // 30))


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1024",
                     "--lang=de-DE"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")),
                              options=options)
    driver.set_page_load_timeout(60)
    return driver


class Visit:
    def __init__(self, config):
        self.config = config
        self.url = config["url"]
        self.driver = browser()

    def open(self, path):
        self.driver.get(self.url + path)

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def inspect(self, name):
        """axe-core on the page as it stands; a screenshot; serious and critical violations fail."""
        axe = Axe(self.driver)
        axe.inject()
        results = axe.run()
        serious = [v["id"] for v in results["violations"] if v.get("impact") in ("serious", "critical")]
        pages[name] = {"path": urllib.parse.urlparse(self.driver.current_url).path, "serious": serious,
                       "minor": [v["id"] for v in results["violations"] if v["id"] not in serious]}
        check(not serious, f"{name}: axe found {serious}")
        self.driver.save_screenshot(os.path.join(self.config["screenshots"], name + ".png"))

    def field(self, name):
        return self.driver.find_element(By.NAME, name)

    def click_and_wait(self, element):
        """Clicks and waits until the browser has left the page (the next one is loading or loaded)."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()

        def left(driver):
            try:
                page.is_enabled()
                return False
            except StaleElementReferenceException:
                return True
            except WebDriverException as error:
                # While the next page loads, Chromium may call the old page's node foreign instead of stale.
                if "does not belong to the document" in str(error):
                    return True
                raise

        WebDriverWait(self.driver, 60).until(left)

    def submit(self, form_action):
        self.click_and_wait(
            self.driver.find_element(By.CSS_SELECTOR, f"form[action='{form_action}'] button[type=submit]"))

    def login(self, name, secret, code=""):
        self.open("/anmelden")
        self.field("konto").send_keys(name)
        self.field("schluessel").send_keys(secret)
        if code:
            self.field("einmalcode").send_keys(code)
        self.submit("/anmelden")

    def set_up_second_factor(self, page_name=None):
        """Reads the secret off the page as a person types it into the app; enters the app's current code."""
        self.open("/zweiter-faktor")
        if page_name:
            self.inspect(page_name)
        secret = self.driver.find_element(By.CSS_SELECTOR, "code.schluessel").text
        step = int(time.time()) // 30
        self.field("einmalcode").send_keys(totp(secret, step))
        self.submit("/zweiter-faktor")
        check("ist eingerichtet" in self.text(), "the second factor was not set up")
        return secret, step

    def logout(self):
        self.submit("/abmelden")


def provider(config):
    visit = Visit(config)
    account = config["provider"]
    visit.open("/anmelden")
    visit.inspect("anmelden")
    visit.login(account["name"], account["secret"])
    secret, step = visit.set_up_second_factor("zweiter-faktor")
    visit.logout()
    # Without the code the login fails now; with the app's next code (the last one was used) it succeeds.
    visit.login(account["name"], account["secret"])
    check("Einmalcode oder Zertifikat falsch" in visit.text(), "a login without the second factor's code was not refused")
    visit.inspect("anmelden-fehler")
    visit.login(account["name"], account["secret"], next_code(secret, step))
    check(urllib.parse.urlparse(visit.driver.current_url).path == "/", "the login with the code failed")
    check("Sozialraum" in visit.text(), "the overview shows no Sozialraum")
    visit.inspect("uebersicht-traeger")

    visit.open("/bewilligungen")
    check(config["grant"] in visit.text(), "the grant is not listed")
    visit.inspect("bewilligungen")

    grant = config["grant"]
    bad = os.path.join(config["screenshots"], "leistungen-fehler.csv")
    good = os.path.join(config["screenshots"], "leistungen.csv")
    with open(bad, "w", encoding="utf-8") as f:
        f.write(f"grant_id;month;quantity\n{grant};2026-03;10\n{grant};2026-04;zehn\n")
    with open(good, "w", encoding="utf-8") as f:
        f.write(f"grant_id;month;quantity\n{grant};2026-03;10\n{grant};2026-04;9,5\n")
    visit.open("/leistungen")
    visit.inspect("leistungen")
    visit.field("datei").send_keys(bad)
    visit.submit("/leistungen")
    text = visit.text()
    check("nichts wurde gebucht" in text and "keine Menge" in text, "the bad line was not shown with its reason")
    visit.inspect("leistungen-fehler")
    visit.field("datei").send_keys(good)
    visit.submit("/leistungen")
    # 10 + 9.5 hours at 60.00 = 600.00 + 570.00 = 1,170.00
    check("Gebucht: 2 Leistungen" in visit.text() and "1.170,00 €" in visit.text(), "the corrected file was not booked")
    visit.inspect("leistungen-gebucht")

    visit.open("/abrechnungen")
    visit.inspect("abrechnungen")
    visit.click_and_wait(visit.driver.find_element(By.LINK_TEXT, f"Abrechnung {config['statement']}"))
    check("1.800,00 €" in visit.text(), "the statement's balance is not 1.800,00 €")
    visit.inspect("abrechnung")
    visit.open("/anordnungen")
    check("Abschlag" in visit.text(), "the provider's order is not listed")
    visit.inspect("anordnungen-traeger")
    visit.open("/feststellungen")
    visit.inspect("feststellungen")
    cookie = visit.driver.get_cookie("sozialraum_sitzung")
    visit.driver.quit()
    return {"cookie": cookie["value"] if cookie else None}


def stolen(config):
    visit = Visit(config)
    visit.open("/anmelden")
    visit.driver.add_cookie({"name": "sozialraum_sitzung", "value": config["cookie"], "path": "/",
                             "secure": True, "httpOnly": True, "sameSite": "Strict"})
    visit.open("/")
    check(urllib.parse.urlparse(visit.driver.current_url).path == "/anmelden",
          "a cookie from before the rotation still opened a page")
    visit.driver.quit()
    return {}


def county(config):
    order = config["order"]
    certifier, orderer = config["certifier"], config["orderer"]
    visit = Visit(config)
    visit.login(certifier["name"], certifier["secret"])
    visit.inspect("uebersicht-kreis")
    visit.set_up_second_factor()
    visit.open("/anordnungen")
    visit.submit(f"/anordnungen/{order}/anordnen")
    check("Vier-Augen-Prinzip" in visit.text(), "the certifier was not refused the second signature")
    visit.inspect("anordnungen-abgelehnt")
    visit.logout()

    visit.login(orderer["name"], orderer["secret"])
    secret, step = visit.set_up_second_factor()
    visit.logout()
    visit.login(orderer["name"], orderer["secret"], next_code(secret, step))
    visit.open("/anordnungen")
    visit.inspect("anordnungen-kreis")
    # A page elsewhere posts a form to the portal (cross-site request forgery): the browser sends no session
    # cookie with it (SameSite=Strict) and the form has no form token; the portal refuses it.
    forged = (f"<!DOCTYPE html><html lang='de'><title>Gewinnspiel</title><form method='post' "
              f"action='{config['url']}/anordnungen/{order}/anordnen'><button type='submit'>Los</button></form></html>")
    visit.driver.get("data:text/html;charset=utf-8," + urllib.parse.quote(forged))
    visit.click_and_wait(visit.driver.find_element(By.TAG_NAME, "button"))
    check("erteilt" not in visit.text(), "a forged form ordered the payment")
    visit.open("/anordnungen")
    check("wartet auf Anordnung" in visit.text(), "the order is no longer waiting after the forged form")
    visit.submit(f"/anordnungen/{order}/anordnen")
    check(f"Anordnung {order} erteilt" in visit.text(), "the second signature failed")
    visit.inspect("anordnungen-erteilt")
    visit.driver.quit()
    return {}


def documents(config):
    """The reports' HTML documents (issue 33) as files a committee member opens: axe-core on each."""
    visit = Visit(config)
    for name, url in sorted(config["documents"].items()):
        visit.driver.get(url)
        check(visit.driver.find_element(By.TAG_NAME, "h1").text != "", f"{name}: no heading")
        visit.inspect(name)
    visit.driver.quit()
    return {}


def main():
    phase, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    os.makedirs(config["screenshots"], exist_ok=True)
    result = {"provider": provider, "stolen": stolen, "county": county, "documents": documents}[phase](config)
    print(json.dumps({"phase": phase, "failures": failures, "pages": pages, **result}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
