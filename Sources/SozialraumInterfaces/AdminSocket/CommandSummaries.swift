import SozialraumDomain

extension AdminCommand {
    /// What the command does, in `language` (`help`).
    func summary(_ language: Language) -> String {
        language == .de ? CommandSummaries.german[name] ?? summary : summary
    }
}

/// `help` in German: what each command does, in the accountants' words (the glossary's terms). One entry per
/// command (`AdminTextTests`).
enum CommandSummaries {
    static let german: [String: String] = [
        "help": "die Befehle, die Sie benutzen dürfen",
        "ping": "die Verbindung prüfen",
        "login": "mit Passwort oder Zugangsschlüssel anmelden",
        "logout": "abmelden, die Verbindung bleibt",
        "whoami": "Konto, Mandant und Rolle dieser Sitzung",
        "format": "wie Ergebnisse in dieser Sitzung geschrieben werden",
        "language": "die Sprache der Texte: de oder en, angemeldet für Ihr Konto gespeichert; default: die des Kreises",
        "quit": "die Verbindung beenden",
        "status": "Zustand von Dienst und Datenbank",
        "stats": "Messwerte: Sitzungen, Befehle nach Ergebnis, Antwortzeiten, Verbindungen, Aufträge, letzter Abgleich",
        "reload": "die Konfiguration neu lesen, wie bei SIGHUP (das Ergebnis steht im Protokoll und im Status)",
        "log-level": "die Protokollschwelle bis zum nächsten Neuladen oder Neustart ändern",
        "sessions": "offene Sitzungen (ohne Inhalte)",
        "providers": "die Mandanten, die Sie sehen dürfen: Träger mit Kürzel, Ende der Zusammenarbeit und Sozialräumen",
        "provider-view":
            "was Träger von einem gemeinsamen Sozialraum sehen: seine Summen oder nur ihre eigenen Zahlen (setzt der Kreis)",
        "funds": "verfügbare Mittel je Budgetzeile und Deckungsring, mit Deckungsübertragungen",
        "appropriation": "den Ansatz einer Budgetzeile setzen",
        "open-case": "einen Fall unter seinem pseudonymen Aktenzeichen anlegen",
        "move": "den Umzug eines Falls erfassen (Regel 9)",
        "grant": "eine Hilfe bewilligen; nie wegen Geldmangels abgelehnt, Überschreitungen werden gemeldet",
        "end-grant": "eine Bewilligung vorzeitig beenden; der Rest wird freigegeben",
        "grant-amend": "eine laufende Bewilligung fortschreiben: Umfang und/oder Ende ab einem Tag; das Obligo folgt",
        "agreement-create":
            "eine Rahmenvereinbarung für Hilfen mit direktem Zugang (§28, §20): ein Monatskontingent für einen Sozialraum",
        "agreements":
            "Rahmenvereinbarungen für Hilfen mit direktem Zugang (ein Träger: seine eigenen); Leistungen auf ihre Nummer",
        "grants":
            "Bewilligungen mit ihren Nummern (ein Träger: seine eigenen, um darauf abzurechnen), eines Falls oder Sozialraums",
        "grant-reason": "erfassen oder ändern, warum ein Träger einen Fall außerhalb seines Sozialraums betreut",
        "grants-due":
            "Bewilligungen, deren Ende oder halbjährliche Hilfeplanfortschreibung (§36) in den nächsten Wochen fällt (Standard 6)",
        "case": "der Verlauf eines Falls: Wohnorte, Bewilligungen, Fortschreibungen, Leistungen, Buchungen (pseudonym)",
        "provider-register": "einen freien Träger unter einem Kürzel anlegen",
        "provider-rename": "einen Träger umbenennen",
        "provider-end":
            "die Zusammenarbeit mit einem Träger nach einem Tag beenden (der Verlauf bleibt) oder weiterlaufen lassen",
        "sozialraum-define": "einen Sozialraum anlegen oder umbenennen und ihm ab einem Tag Gemeinden zuordnen",
        "sozialraeume": "Sozialräume und ihre Gemeinden im Zeitverlauf",
        "assign": "einen Träger ab einem Tag einem Sozialraum zuordnen",
        "unassign": "die Zuordnung eines Trägers zu einem Sozialraum beenden",
        "assignments": "welche Träger welchen Sozialraum betreuen (ein Träger: seine eigenen)",
        "year-open":
            "ein Haushaltsjahr eröffnen: Monate, Regel bei Überschreitung, Trägeranteil, Haushaltsrest und Deckungsringe",
        "years": "die Haushaltsjahre mit ihren Regeln",
        "appropriation-import":
            "die Ansätze eines Jahres aus einer CSV-Datei setzen (sozialraum,component,amount); alles oder nichts",
        "carry-forward": "einen Haushaltsrest von Hand in ein Jahr übertragen, mit Begründung",
        "help-types": "die Hilfearten des SGB VIII mit Setting und direktem Zugang",
        "rate-add": "einen Preis einer Entgeltvereinbarung ab einem Tag hinzufügen",
        "rates": "die Entgelte eines Trägers; mit on= der an diesem Tag gültige Preis",
        "project-create": "ein Milieu- oder Strukturprojekt eines Trägers anlegen",
        "project-end": "ein Projekt vorzeitig beenden",
        "projects": "Projekte mit Budget und Ausgaben (ein Träger: seine eigenen)",
        "audit": "das Protokoll: wer was wann getan hat, neueste zuerst",
        "migration-import":
            "aus dem bisherigen System übernehmen: ein Paket von CSV-Dateien (#file <art>), alles oder nichts",
        "deliver": "den Leistungsnachweis eines Monats erfassen",
        "import-deliveries":
            "Leistungsnachweise aus einer CSV-Datei einlesen (grant_id,month,quantity); alles oder nichts",
        "expense": "eine Projektausgabe buchen (Milieu/Struktur, Regel des Jahres bei Überschreitung)",
        "instalment": "einen Abschlag an einen Träger feststellen: eine Zahlungsanordnung für die zweite Unterschrift",
        "reverse": "eine Buchung stornieren (in den offenen Monat, wenn ihr Monat abgeschlossen ist)",
        "bookings": "die Buchungen eines Monats, die Sie sehen dürfen",
        "close-month": "einen Monat abschließen; mit offenen Feststellungen nur mit Begründung",
        "findings": "Feststellungen, die Sie sehen dürfen",
        "resolve-finding":
            "eine Feststellung anerkennen oder ablehnen (eine anerkannte, die zahlt, stellt eine Zahlungsanordnung fest)",
        "reconcile": "einen Abgleich über die Buchungen rechnen, wie sie stehen; das Ergebnis wird gespeichert",
        "runs": "gespeicherte Abgleiche",
        "run": "das Ergebnis eines Abgleichs (Zeilen und Deckungsringe, Monate, Deckungsübertragungen)",
        "run-diff": "was sich zwischen zwei Abgleichen geändert hat",
        "statement": "Abrechnungen eines Abgleichs; mit items der Entwurf des Zahlungsavis zum Stand des Abgleichs",
        "settle":
            "den Saldo einer Abrechnung zum Ausgleich feststellen: eine Zahlungsanordnung für die zweite Unterschrift",
        "year-end":
            "den Jahresabschluss vorschauen: Überschuss, Defizit, Haushaltsrest, Trägeranteil (wendet nichts an)",
        "year-end-confirm":
            "einen vorgeschauten Jahresabschluss bestätigen: angewandt, wenn ein zweites Konto ihn anordnet",
        "year-end-shares":
            "die Anteile der federführenden Träger eines angewandten Jahresabschlusses feststellen, die keine Anordnung zahlt (Recht controller)",
        "population": "junge Einwohner unter 21 eines Sozialraums, für Zahlen je 1.000",
        "cost-report": "Kostenentwicklung je Sozialraum über die Jahre",
        "cross-area": "sozialraumübergreifende Hilfen mit ihren Begründungen (Regel 9)",
        "report":
            "kjh-teil4 <Jahr>: die KJH-Statistik Teil IV (was die Kasse im Jahr zahlte, nach den Positionen des Erhebungsbogens, volle Euro); mit html das Arbeitspapier",
        "report-mapping": "die Zuordnung der Hilfe- und Projektarten eines Jahres zu den Positionen der KJH-Statistik",
        "report-mapping-import":
            "die Zuordnung eines Jahres zur KJH-Statistik aus einer CSV-Datei ersetzen (key;position;title); alles oder nichts (Recht controller)",
        "chart": "Budgetverlauf als SVG (Ansatz gegen Ist und Obligo je Monat)",
        "statement-issue":
            "die Abrechnung eines Trägers aus einem Abgleich ausstellen: Positionen eingefroren, mit Prüfsumme (Recht certify)",
        "issued-statements": "ausgestellte Abrechnungen (ein Träger: seine eigenen), neueste zuerst",
        "issued-statement":
            "eine ausgestellte Abrechnung, mit items ihr eingefrorenes Zahlungsavis (jedes Mal dieselben Bytes)",
        "statement-withdraw":
            "eine ausgestellte Abrechnung zurückziehen (nicht, wenn ausgeglichen oder unter einer Ausgleichsanordnung; Recht certify)",
        "orders": "Zahlungsanordnungen: beide Unterschriften, Kassenzeichen, Stapel, was die Kasse gezahlt hat",
        "order-approve": "eine festgestellte Zahlung anordnen (zweite Unterschrift, Recht order): bucht sie",
        "order-reject": "eine festgestellte Zahlung mit Begründung ablehnen (zweites Konto)",
        "payment-export": "alle angeordneten, noch nicht ausgegebenen Zahlungen in eine neue Stapeldatei für die Kasse",
        "payment-batch": "eine Stapeldatei genau wie ausgegeben, base64 (sozialraumctl --save schreibt die Datei)",
        "payment-batch-signature":
            "die Ed25519-Signatur des Stapels, base64 (sozialraumctl --save schreibt die 64 Bytes für openssl)",
        "payment-signing-key": "der öffentliche Schlüssel, der die Stapel prüft (PEM, für die Kasse)",
        "payment-batch-verify": "ob eine Stapeldatei (UTF-8), wie die Kasse sie erhielt, genau die signierte ist",
        "payment-batches": "die Stapel: wann, von wem, Anordnungen, Summe, Prüfsumme",
        "payment-confirm":
            "die Zahlungsbestätigungen der Kasse einlesen (Kassenzeichen;Betrag;Valuta); alles oder nichts",
        "finance-map": "wo Zahlungen einer Zeile im Finanzverfahren gebucht werden (Kontierung), je Jahr",
        "finance-mappings": "die Kontierung eines Jahres",
        "provider-creditor": "die Kreditorennummer des Trägers im Finanzverfahren",
        "overrun-decide":
            "die Entscheidung über eine über- oder außerplanmäßige Aufwendung erfassen (§ 117 NKomVG, Recht order)",
        "overruns": "die Entscheidungen über Überschreitungen eines Jahres und wie viele noch warten",
        "schedules": "Zeitpläne mit nächstem Termin, Frist, letztem Erfolg und Terminen nach Ergebnis (Europe/Berlin)",
        "schedule-set": "einen Zeitplan anlegen oder ändern (plant ab jetzt)",
        "pause": "die Termine eines Zeitplans nicht mehr planen",
        "resume": "einen Zeitplan wieder planen; die Termine der Pause laufen alle, der letzte oder keiner (Standard)",
        "run-now": "den Auftrag eines Zeitplans jetzt einreihen (weckt einen Planer sofort)",
        "check": "Zustand für die Überwachung: OK, WARNING oder CRITICAL mit Gründen (sozialraumctl check)",
        "schedule-backfill":
            "die Termine eines Zeitplans zwischen zwei Tagen mit ihren ursprünglichen Zeiten einreihen (Europe/Berlin)",
        "jobs": "Verlauf der Aufträge: Stand, Versuche, Zeiten, Ergebnis oder Fehler",
        "job-retry": "einen fehlgeschlagenen Auftrag für seinen Termin erneut laufen lassen, mit neuen Versuchen",
        "job-cancel": "einen eingereihten Auftrag abbrechen oder die laufende Instanz bitten, ihn zu beenden",
        "account-set":
            "ein Konto anlegen (Rechte warten auf einen zweiten Inhaber von accounts) oder den Zugangsschlüssel eines anderen erneuern; zeigt einen neuen Schlüssel einmal",
        "account-rights":
            "die Rechte eines Kreiskontos sofort einschränken oder weitere für einen zweiten Inhaber von accounts beantragen",
        "account-approve":
            "die zweite Unterschrift unter eine Änderung von Rechten (Recht accounts; nicht der Antragsteller, nicht das Konto)",
        "account-reject": "eine Änderung von Rechten mit Begründung ablehnen (Recht accounts)",
        "account-changes":
            "Änderungen von Rechten, neueste zuerst: beantragt, genehmigt, abgelehnt oder abgelaufen, von wem",
        "account-disable":
            "ein Konto sofort sperren: seine Sitzungen enden bei ihrer nächsten Anfrage (Recht accounts)",
        "account-enable": "ein gesperrtes Konto wieder freigeben, mit den Rechten, die es hatte (Recht accounts)",
        "account-factor-reset":
            "den zweiten Faktor eines Kontos im Portal entfernen (Telefon verloren); es richtet nach der nächsten Anmeldung einen neuen ein (Recht accounts)",
        "portal-certificates":
            "die für das Portal hinterlegten Client-Zertifikate, aller Mandanten oder eines (county, ein Träger)",
        "portal-certificate-pin":
            "ein Client-Zertifikat (sein SHA-256) für einen Mandanten hinterlegen: seine Konten melden sich dann im Portal nur noch mit einem hinterlegten an (Recht accounts)",
        "portal-certificate-unpin":
            "ein hinterlegtes Client-Zertifikat entfernen (Recht accounts); ohne eines meldet sich der Mandant ohne Zertifikat an",
        "account-limits":
            "der höchste Betrag, den ein Kreiskonto auf einmal anordnen darf, und für welche Sozialräume (Recht accounts)",
        "token-rotate":
            "ein neuer Zugangsschlüssel für Ihr eigenes Konto; jede Sitzung mit dem alten endet (auch diese)",
        "accounts": "jedes Konto mit Mandant, Rolle und Rechten (nie ein Schlüssel)",
        "access-log": "wem Falldaten gezeigt wurden, wann, mit welchem Befehl und wie viele Fälle (neueste zuerst)",
        "erasures": "Löschanordnungen, neueste zuerst: Stand, Unterschriften, gelöschte Fälle",
        "erasure":
            "eine Löschanordnung mit dem, was sie je letztem Jahr betrifft: Fälle, Wohnorte, Bewilligungen, Abrechnungspositionen, Texte",
        "erasure-propose":
            "die Löschung jedes Falls nach seiner Löschregel vorschlagen (was der wöchentliche Auftrag tut)",
        "erasure-certify": "eine vorgeschlagene Löschanordnung feststellen (erste Unterschrift, Recht erase)",
        "erasure-order":
            "eine festgestellte Löschung anordnen (zweite Unterschrift, anderes Konto, Recht erase): führt sie aus",
        "erasure-reject": "eine vorgeschlagene oder festgestellte Löschanordnung mit Begründung ablehnen (Recht erase)",
        "hold":
            "eine Löschsperre auf einen Fall setzen (Anspruch, Rechtsstreit): nicht gelöscht, bis sie aufgehoben ist (Recht case oder erase)",
        "hold-lift": "die Löschsperre eines Falls aufheben (Recht case oder erase)",
        "holds": "die offenen Löschsperren: Fall, Aktenzeichen, wer sie wann gesetzt hat",
        "restrict":
            "einen abgerechneten Fall einschränken: nur noch für dpo und auditor sichtbar (dpo, oder Kreis mit erase)",
        "restriction-lift": "die Einschränkung eines Falls aufheben (dpo, oder Kreis mit erase)",
        "restrictions": "die geltenden Einschränkungen: Fall, Grund, Aktenzeichen, gesetzt von, gesetzt am",
        "case-export":
            "alles zu einem Aktenzeichen Gespeicherte als JSON-Zeilen, ein Objekt je Datensatz (Auskunft, Art. 15 DSGVO)",
        "case-rekey":
            "ein falsch erfasstes Aktenzeichen berichtigen (Art. 16 DSGVO): Fall und Bewilligungen; ausgestellte Abrechnungen behalten ihres",
        "residence-correct":
            "den Sozialraum eines falsch erfassten Wohnorts berichtigen: seine Leistungen werden storniert und neu gebucht",
    ]
}
