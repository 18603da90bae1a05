import APIMachinery
import Testing

@testable import APIRegistry

/// Kubernetes' `resource.Quantity` parsing, canonical printing and ordering.
@Suite struct ValidationQuantityTests {
    @Test(arguments: [
        ("500m", "500m"), ("0.5", "500m"), ("0.1", "100m"), ("1000m", "1"), ("1500m", "1500m"), ("2", "2"), ("1000", "1k"), ("100M", "100M"),
        ("1024Mi", "1Gi"), ("1536Mi", "1536Mi"), ("1.5Gi", "1536Mi"), ("0.5Gi", "512Mi"), ("128Mi", "128Mi"), ("1Ki", "1Ki"), ("512", "512"),
        ("1e3", "1e3"), ("129e6", "129e6"), ("128974848", "128974848"), ("12e-3", "12e-3"), ("0", "0"), ("-1", "-1"), ("+250m", "250m"),
        ("10Gi", "10Gi"), ("1E", "1E"), ("5n", "5n"), ("100u", "100u"),
    ])
    func canonicalForm(text: String, canonical: String) throws {
        let quantity = try #require(Quantity(text))
        #expect(quantity.description == canonical)
    }

    @Test(arguments: ["", "abc", "1.2.3", "1Ki5", "m", "1 Gi", "1e", "--1", "1KiB"])
    func rejectsNonQuantities(_ text: String) {
        #expect(Quantity(text) == nil)
    }

    @Test func ordering() throws {
        func quantity(_ text: String) throws -> Quantity { try #require(Quantity(text)) }
        #expect(try quantity("500m") < quantity("1"))
        #expect(try quantity("1Gi") == quantity("1024Mi"))
        #expect(try quantity("1G") < quantity("1Gi"))
        #expect(try quantity("-1") < quantity("0"))
        #expect(try quantity("-2") < quantity("-1"))
        #expect(try quantity("0.25") == quantity("250m"))
        #expect(try quantity("1e3") == quantity("1k"))
        #expect(try quantity("129e6") > quantity("128974848"))
    }

    @Test func valuesRoundUpLikeKubernetes() throws {
        #expect(Quantity("0.5m")?.milliValue == 1)
        #expect(Quantity("250m")?.milliValue == 250)
        #expect(Quantity("1.5")?.value == 2)
        #expect(Quantity("1Gi")?.value == 1_073_741_824)
        #expect(Quantity(json: 2)?.description == "2")
        #expect(Quantity(json: 0.5)?.description == "500m")
        #expect(Quantity("500m")?.isInteger == false)
    }
}
