package io.bloomj.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The package rules that keep bloomj one design (ArchUnit over the production classes): the
 * compute layer knows nothing of BLOOM, loading knows no device, backends are independent of each
 * other and found through providers, the engine does not tokenize.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.bloomj");
        assertTrue(classes.size() > 100, "imported " + classes.size() + " classes: the rules below would check nothing");
    }

    @Test
    void computeDoesNotKnowTheModel() {
        check(noClasses().that().resideInAPackage("io.bloomj.compute..")
                .should().dependOnClassesThat().resideInAnyPackage("io.bloomj.engine..", "io.bloomj.model..", "io.bloomj.api..",
                        "io.bloomj.cli..", "io.bloomj.tokenizer..", "io.bloomj.chat..", "io.bloomj.hub.."));
    }

    @Test
    void loadingKnowsNoDevice() {
        check(noClasses().that().resideInAPackage("io.bloomj.model..").should().dependOnClassesThat().resideInAPackage("io.bloomj.compute.."));
    }

    @Test
    void leafTypesImportNothingOfBloomj() {
        check(noClasses().that().resideInAPackage("io.bloomj.tensor..").should().dependOnClassesThat()
                .resideInAnyPackage("io.bloomj.compute..", "io.bloomj.model..", "io.bloomj.engine..", "io.bloomj.api.."));
    }

    @Test
    void backendsAreIndependentOfEachOther() {
        check(slices().matching("io.bloomj.compute.(cpu|opencl|cuda)..").should().notDependOnEachOther());
    }

    @Test
    void theDeviceLayerKnowsNoBackend() {
        check(noClasses().that().resideInAnyPackage("io.bloomj.compute", "io.bloomj.compute.device")
                .should().dependOnClassesThat().resideInAnyPackage("io.bloomj.compute.cpu..", "io.bloomj.compute.opencl..",
                        "io.bloomj.compute.cuda.."));
    }

    @Test
    void onlyProvidersNameBackends() {
        check(noClasses().that().resideOutsideOfPackages("io.bloomj.compute.cpu..", "io.bloomj.compute.opencl..", "io.bloomj.compute.cuda..")
                .should().dependOnClassesThat().resideInAnyPackage("io.bloomj.compute.cpu..", "io.bloomj.compute.opencl..",
                        "io.bloomj.compute.cuda.."));
    }

    @Test
    void theEngineDoesNotTokenize() {
        check(noClasses().that().resideInAPackage("io.bloomj.engine..").should().dependOnClassesThat().resideInAPackage("io.bloomj.tokenizer.."));
    }

    /** The server is a client of the library: it reaches the engine only through io.bloomj.api (and the config it returns). */
    @Test
    void theServerUsesOnlyThePublicApi() {
        check(noClasses().that().resideInAPackage("io.bloomj.serve..").should().dependOnClassesThat()
                .resideInAnyPackage("io.bloomj.engine..", "io.bloomj.compute.."));
        check(noClasses().that().resideOutsideOfPackages("io.bloomj.serve..", "io.bloomj.cli..").should().dependOnClassesThat()
                .resideInAPackage("io.bloomj.serve.."));
    }

    private static void check(ArchRule rule) {
        rule.check(classes);
    }
}
